// Supervisor console, calls: listen to, whisper to or barge into an agent's
// call (Asterisk snoop channels rung to the supervisor's phone); the queue
// grid; the calls waiting, with transfer to a queue or an agent and their
// priority. Every text from the server goes in with textContent.

import { $, el, post, clock, queueName } from "./app.js";

const modes = [
  ["listen", "Listen", "hear the call; nobody hears you"],
  ["whisper", "Whisper", "the agent hears you, the caller does not"],
  ["barge", "Barge", "the agent and the caller hear you"],
];

// phone is the extension the supervisor typed, kept in this browser; empty
// means the phone configured for the user (ccd user add -endpoint).
const phoneKey = "ccd.supervisor.phone";

function say(text) {
  $("sv-message").textContent = text;
}

export function spyControls(agent, label) {
  return el("span", { class: "spy", role: "group", "aria-label": "Listen to " + label },
    ...modes.map(([mode, name, what]) => el("button", {
      type: "button", class: "quiet", "data-action": mode, title: what,
      "aria-label": name + " – " + label + ": " + what, text: name, onclick: () => spy(agent, mode),
    })));
}

// updateSpyControls enables the buttons while the agent talks on a call.
export function updateSpyControls(row, a) {
  for (const [mode] of modes) row.querySelector(`[data-action="${mode}"]`).disabled = a.state !== "on_call";
}

async function spy(agent, mode) {
  const phone = $("sv-phone").value.trim();
  const fields = { mode };
  if (phone) fields.endpoint = phone;
  try {
    const r = await post("/ui/agents/" + encodeURIComponent(agent) + "/spy", fields);
    say(`${modes.find((m) => m[0] === mode)[1]}: agent ${agent}, your phone ${r.endpoint} rings.`);
  } catch (e) {
    say(`Agent ${agent}: ${e.message}`);
    if (e.field === "endpoint") $("sv-phone").focus();
  }
}

// ---- queue grid ----

function renderQueues(last) {
  const body = $("sv-queues");
  body.replaceChildren(...last.queues.map((q) => {
    const ready = (q.agents && q.agents.ready) || 0;
    const sl = q.today.service_level_percent;
    return el("tr", { "data-queue": q.code },
      el("th", { scope: "row", text: q.name || q.code }),
      el("td", { class: "num", "data-field": "waiting", text: String(q.waiting) }),
      el("td", { class: "num", text: clock(q.longest_wait_seconds) }),
      el("td", { class: "num", text: ready + " / " + q.logged_in }),
      el("td", { class: "num", text: String(q.today.offered) }),
      el("td", { class: "num", text: String(q.today.answered) }),
      el("td", { class: "num", text: String(q.today.abandoned) }),
      el("td", { class: "num", text: sl == null ? "–" : Math.round(sl) + "%" }));
  }));
}

// ---- calls waiting ----

function transferTargets(last, call) {
  const s = el("select", { "aria-label": "Transfer call from " + (call.clid || call.id) + " to", "data-field": "target" });
  s.append(el("option", { value: "", text: "Transfer to…" }));
  const qs = el("optgroup", { label: "Queues" });
  for (const q of last.queues) if (q.code !== call.queue) qs.append(el("option", { value: "queue:" + q.code, text: q.name || q.code }));
  const as = el("optgroup", { label: "Ready agents" });
  for (const a of last.agents) if (a.state === "ready") as.append(el("option", { value: "agent:" + a.id, text: a.name ? a.name + " (" + a.id + ")" : a.id }));
  s.append(qs, as);
  return s;
}

async function transfer(call, target) {
  const [kind, to] = target.split(/:(.*)/s);
  try {
    await post("/ui/calls/" + encodeURIComponent(call) + "/transfer", { [kind]: to });
    say(`Call ${call} sent to ${kind} ${to}.`);
  } catch (e) {
    say(`Call ${call}: ${e.message}`);
  }
}

async function setPriority(call, priority) {
  try {
    await post("/ui/calls/" + encodeURIComponent(call) + "/priority", { priority });
    say(`Call ${call}: priority ${priority}.`);
  } catch (e) {
    say(`Call ${call}: ${e.message}`);
  }
}

function renderCalls(last) {
  const body = $("sv-calls");
  const calls = last.calls || [];
  $("sv-calls-empty").hidden = calls.length > 0;
  // Rows are kept while their call waits, so that an open select keeps its
  // choice when the figures change.
  const rows = new Map([...body.children].map((r) => [r.dataset.call, r]));
  const seen = new Set();
  for (const c of calls) {
    seen.add(c.id);
    let r = rows.get(c.id);
    if (!r) {
      const prio = el("select", { "data-field": "priority", "aria-label": "Priority of the call from " + (c.clid || c.id) },
        ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => el("option", { value: String(n), text: String(n) })));
      prio.addEventListener("change", () => setPriority(c.id, prio.value));
      const target = transferTargets(last, c);
      r = el("tr", { "data-call": c.id },
        el("td", { "data-field": "queue" }), el("td", { "data-field": "clid" }), el("td", { "data-field": "dnis" }),
        el("td", { class: "num", "data-field": "wait" }), el("td", { "data-field": "state" }), el("td", {}, prio),
        el("td", {}, el("div", { class: "actions" }, target,
          el("button", { type: "button", "data-action": "transfer", text: "Transfer",
            onclick: () => target.value && transfer(c.id, target.value) }))));
      body.append(r);
    }
    const f = (n) => r.querySelector(`[data-field="${n}"]`);
    f("queue").textContent = queueName(c.queue);
    f("clid").textContent = c.clid || "–";
    f("dnis").textContent = c.dnis || "–";
    f("wait").textContent = clock(c.wait_seconds + (Date.now() - last.receivedAt) / 1000);
    f("state").textContent = c.state === "ringing" ? "Ringing " + c.agent : "Waiting";
    if (document.activeElement !== f("priority")) f("priority").value = String(c.priority);
  }
  for (const [id, r] of rows) if (!seen.has(id)) r.remove();
}

// ---- dialer campaigns (in the live stream, counted at most once a second) ----

function renderCampaigns(last) {
  const list = last.campaigns || [];
  $("sv-campaigns-section").hidden = list.length === 0;
  const queues = new Map(last.queues.map((q) => [q.code, q]));
  $("sv-campaigns").replaceChildren(...list.map((c) => {
    const q = queues.get(c.queue);
    return el("tr", { "data-campaign": String(c.id) },
      el("th", { scope: "row", text: c.name }),
      el("td", { text: c.active ? "Active" : "Stopped" }),
      el("td", { text: c.mode }),
      el("td", { text: q ? q.name || q.code : c.queue }),
      el("td", { class: "num", text: c.open + " / " + c.targets }),
      el("td", { class: "num", text: String(c.dialing) }),
      el("td", { class: "num", text: String(c.dialled) }),
      el("td", { class: "num", text: String(c.calls) }),
      el("td", { class: "num", text: String(c.answered) }),
      el("td", { class: "num", text: String(c.abandoned) }),
      el("td", { class: "num", text: String(c.final) }),
      el("td", { class: "num", text: q ? String(q.agents.on_call || 0) + " / " + q.logged_in : "–" }));
  }));
}

export function renderCallGrids(last) {
  const phone = $("sv-phone");
  if (!phone.dataset.ready) {
    phone.dataset.ready = "1";
    phone.value = localStorage.getItem(phoneKey) || "";
    phone.addEventListener("change", () => localStorage.setItem(phoneKey, phone.value.trim()));
  }
  renderQueues(last);
  renderCalls(last);
  renderCampaigns(last);
}
