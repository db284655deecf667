// ccd web interface: one page, three views (wallboard, supervisor console,
// agent console, reports) fed by one server-sent event stream. Every text
// from the server goes in with textContent, never as HTML. The supervisor's
// call actions and the reports are modules of their own.

import { spyControls, updateSpyControls, renderCallGrids } from "./supervise.js";
import { renderReports, resetReports } from "./reports.js";

const stateNames = {
  logged_out: "Logged out", ready: "Ready", not_ready: "Not ready", ringing: "Ringing",
  on_call: "On call", on_direct_call: "Direct call", wrap_up: "Wrap-up",
};
const shownStates = ["ready", "on_call", "ringing", "wrap_up", "not_ready"];

let session = null;   // {kind, name, agent, csrf, views, activities}
let stream = null;    // EventSource
let last = null;      // newest snapshot, with receivedAt
let timer = null;
let agentExtras = null; // agent.js: call profile, transfer, hold, callbacks, softphone

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

export function clock(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
}

// elapsed is how long ago the snapshot was received, so that clocks tick
// between snapshots.
const elapsed = () => (last ? (Date.now() - last.receivedAt) / 1000 : 0);

export async function post(path, fields = {}) {
  const body = new URLSearchParams(fields);
  const headers = { "Content-Type": "application/x-www-form-urlencoded" };
  if (session) headers["X-CSRF-Token"] = session.csrf;
  const r = await fetch(path, { method: "POST", headers, body, credentials: "same-origin" });
  let data = null;
  if (r.status !== 204) data = await r.json().catch(() => null);
  if (!r.ok) {
    const e = data && data.error ? data.error : { message: r.statusText };
    throw Object.assign(new Error(e.message), { field: e.field, status: r.status });
  }
  return data;
}

// ---- thresholds (wallboard): ccd.yaml's ui.wallboard, each overridden by
// the address: #wallboard?wait_amber=30 ----
function thresholds() {
  const q = new URLSearchParams(location.hash.split("?")[1] || "");
  const conf = (session && session.wallboard) || {};
  const n = (k, d) => (q.has(k) && !isNaN(+q.get(k)) ? +q.get(k) : k in conf ? conf[k] : d);
  return {
    waitAmber: n("wait_amber", 30), waitRed: n("wait_red", 60),
    waitingAmber: n("waiting_amber", 3), waitingRed: n("waiting_red", 6),
    slAmber: n("sl_amber", 80), slRed: n("sl_red", 60),
    callbacksAmber: n("callbacks_amber", 5), callbacksRed: n("callbacks_red", 10),
  };
}
const above = (v, amber, red) => (v >= red ? "red" : v >= amber ? "amber" : "");
const below = (v, amber, red) => (v == null ? "" : v < red ? "red" : v < amber ? "amber" : "");

// ---- views ----
function currentView() {
  const v = location.hash.slice(1).split("?")[0];
  return session && session.views.includes(v) ? v : session ? session.views[0] : "login";
}

function show() {
  const view = currentView();
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== "view-" + view;
  $("top").hidden = !session;
  if (session) {
    $("who").textContent = (session.display || session.name) + " (" + session.kind + ")";
    const nav = $("nav");
    nav.replaceChildren(...session.views.map((v) =>
      el("a", { href: "#" + v, id: "nav-" + v, text: v[0].toUpperCase() + v.slice(1), ...(v === view ? { "aria-current": "page" } : {}) })));
  }
  document.title = "ccd – " + view;
  for (const v of Object.keys(modules)) if (v !== view) delete document.getElementById("view-" + v).dataset.shown;
  render();
}

// Views that live in their own module, loaded when first shown.
const modules = { admin: () => import("./admin.js").then((m) => m.showAdmin(session)) };

function render() {
  if (!session) return;
  const view = currentView();
  if (modules[view]) {
    if (!document.getElementById("view-" + view).dataset.shown) {
      document.getElementById("view-" + view).dataset.shown = "1";
      modules[view]().catch((e) => { document.getElementById("view-" + view).textContent = "Cannot load this view: " + e.message; });
    }
    return;
  }
  if (!last) return;
  if (view === "wallboard") renderWallboard();
  if (view === "supervisor") renderSupervisor();
  if (view === "agent") renderAgent();
  if (view === "reports") renderReports(last, session);
}

function tile(id, label, value, level = "", cls = "") {
  const t = el("div", { class: "tile " + cls, id, role: "group", "aria-label": label },
    el("p", { class: "label", text: label }),
    typeof value === "string" || typeof value === "number" ? el("p", { class: "value", text: String(value) }) : value);
  if (level) t.dataset.level = level;
  return t;
}

function agentsLine(counts) {
  const v = el("p", { class: "value" });
  for (const s of shownStates) v.append(el("span", { "data-state": s, text: stateNames[s] + " " + (counts[s] || 0) }));
  return v;
}

function queueTiles(prefix, q, th, extra, callbacks) {
  const longest = q.longest_wait_seconds + (q.waiting ? extra : 0);
  const sl = q.today.service_level_percent;
  return [
    tile(prefix + "-waiting", "Waiting now", q.waiting, above(q.waiting, th.waitingAmber, th.waitingRed)),
    tile(prefix + "-longest", "Longest wait", clock(longest), above(longest, th.waitAmber, th.waitRed)),
    tile(prefix + "-sl", "Service level", sl == null ? "–" : Math.round(sl) + "%", below(sl, th.slAmber, th.slRed)),
    tile(prefix + "-offered", "Offered", q.today.offered),
    tile(prefix + "-answered", "Answered", q.today.answered),
    tile(prefix + "-abandoned", "Abandoned", q.today.abandoned),
    tile(prefix + "-callbacks", "Callbacks", callbacks == null ? "–" : callbacks, callbacks == null ? "" : above(callbacks, th.callbacksAmber, th.callbacksRed)),
  ];
}

function renderWallboard() {
  const th = thresholds(), extra = elapsed();
  const qs = last.queues;
  const sum = (f) => qs.reduce((a, q) => a + f(q), 0);
  const answered = sum((q) => q.today.answered), abandoned = sum((q) => q.today.abandoned), inSL = sum((q) => q.today.answered_in_sl);
  const total = {
    waiting: sum((q) => q.waiting),
    longest_wait_seconds: Math.max(0, ...qs.map((q) => q.longest_wait_seconds)),
    today: { offered: sum((q) => q.today.offered), answered, abandoned,
      service_level_percent: answered + abandoned ? Math.round((inSL / (answered + abandoned)) * 1000) / 10 : null },
  };
  const byState = {};
  for (const a of last.agents) byState[a.state] = (byState[a.state] || 0) + 1;
  // Pending callbacks by queue; null when ccd could not count them.
  const cbs = last.callbacks_pending, cbOf = (code) => (cbs ? cbs[code] || 0 : null);
  const cbTotal = cbs ? Object.values(cbs).reduce((a, n) => a + n, 0) : null;
  $("wb-total-title").hidden = false;
  $("wb-total").replaceChildren(
    ...queueTiles("wb-total", total, th, extra, cbTotal),
    tile("wb-total-agents", "Agents", agentsLine(byState), "", "agents"));
  $("wb-queues").replaceChildren(...qs.map((q) => el("section", { class: "queue-row", "data-queue": q.code, "aria-label": "Queue " + (q.name || q.code) },
    el("h2", { text: q.name || q.code }),
    el("div", { class: "wb-grid" }, ...queueTiles("wb-q-" + q.code, q, th, extra, cbOf(q.code)), tile("wb-q-" + q.code + "-agents", "Agents", agentsLine(q.agents), "", "agents")))));
  $("wb-stamp").textContent = "Service level, offered, answered and abandoned: today since midnight. Updated " + new Date(last.at).toLocaleTimeString();
}

// changesFor are the state changes that make sense for an agent in a state,
// as the server's check (ccd.CheckAgentChange) lets them through, less
// asking again for the state it is in: on a call or ringing, not ready and
// log out (they take effect when the call ends); logged out, none (only
// the agent logs itself in). Not ready while not ready changes the
// activity, so it is offered when another one is chosen.
function changesFor(a, activity) {
  switch (a.state) {
    case "logged_out": return new Set();
    case "ready": return new Set(["not_ready", "logout"]);
    case "not_ready": return new Set(["ready", "logout", ...(activity && activity !== a.activity ? ["not_ready"] : [])]);
    case "ringing": case "on_call": case "on_direct_call": return new Set(afterCall(a, activity));
    default: return new Set(["ready", "not_ready", "logout"]);
  }
}

// afterCall are the changes offered on a call: not what is already pending
// (the same not ready, or a log out).
function afterCall(a, activity) {
  const p = a.pending;
  if (!p) return ["not_ready", "logout"];
  if (p.change === "logout") return ["not_ready"];
  return p.activity === activity ? ["logout"] : ["not_ready", "logout"];
}

const onCall = (a) => ["ringing", "on_call", "on_direct_call"].includes(a.state);

// enableChanges enables the buttons of the changes that make sense now; on
// a call their titles say when they happen.
function enableChanges(buttons, a, activity) {
  const ok = changesFor(a, activity);
  for (const [change, b] of Object.entries(buttons)) {
    b.disabled = !ok.has(change);
    if (change !== "ready") b.title = onCall(a) && ok.has(change) ? "after the call" + (a.state === "ringing" ? " (the ringing call goes to another agent)" : "") : "";
  }
}

// queueName is a queue's name in the newest snapshot (its code when the
// snapshot does not list it), as the wallboard and the queue grid show it.
export function queueName(code) {
  const q = last && last.queues.find((x) => x.code === code);
  return q ? q.name || q.code : code;
}

function stateText(a) {
  const now = (stateNames[a.state] || a.state) + (a.activity ? " – " + a.activity : "");
  return a.pending ? now + " · " + pendingText(a) : now;
}

// pendingText says what the agent becomes when its call (or wrap-up) ends:
// a change asked for on a call waits for it, and shows, so that nobody
// clicks again.
function pendingText(a) {
  const when = a.state === "wrap_up" ? " after the wrap-up" : " after this call";
  if (a.pending.change === "logout") return "logging out" + when;
  const act = a.pending.activity;
  const named = act && session && session.activities.find((x) => x.code === act);
  return "not ready" + (act ? " (" + ((named && named.name) || act) + ")" : "") + when;
}

// fillActivities puts the activity codes into a select, the first chosen.
function fillActivities(s) {
  s.replaceChildren(...session.activities.map((a) => el("option", { value: a.code, text: a.name || a.code })));
  if (!session.activities.length) s.append(el("option", { value: "break", text: "break" }));
  s.selectedIndex = 0;
  return s;
}

function activitySelect(id) {
  return fillActivities(el("select", { id }));
}

async function supervisorAction(agent, action, fields = {}) {
  const msg = $("sv-message");
  try {
    const st = await post("/ui/agents/" + encodeURIComponent(agent) + "/" + action, fields);
    msg.textContent = (st.name || st.id) + ": " + stateText(st);
  } catch (e) {
    msg.textContent = "Agent " + agent + ": " + e.message;
  }
}

function renderSupervisor() {
  const extra = elapsed();
  const body = $("sv-agents");
  // Rows are kept and updated in place, so that a focused control stays
  // focused while the figures change.
  const rows = new Map([...body.children].map((r) => [r.dataset.agent, r]));
  const seen = new Set();
  for (const a of last.agents) {
    seen.add(a.id);
    let r = rows.get(a.id);
    if (!r) {
      const label = a.name || a.id;
      const sel = activitySelect("sv-act-" + a.id);
      sel.setAttribute("aria-label", "Pause reason for " + label);
      sel.dataset.field = "activity";
      sel.addEventListener("change", render);
      r = el("tr", { "data-agent": a.id },
        el("th", { scope: "row", "data-field": "name" }),
        el("td", {}, el("span", { class: "badge", "data-field": "state" })),
        el("td", { class: "num", "data-field": "time" }),
        el("td", { "data-field": "queue" }),
        el("td", { "data-field": "number" }),
        el("td", { class: "num", "data-field": "calls" }),
        el("td", {}, el("div", { class: "actions" },
          el("button", { type: "button", "data-action": "ready", "aria-label": "Force " + label + " ready", text: "Ready", onclick: () => supervisorAction(a.id, "ready") }),
          sel,
          el("button", { type: "button", "data-action": "not_ready", "aria-label": "Force " + label + " not ready", text: "Not ready",
            onclick: () => supervisorAction(a.id, "not_ready", { activity: sel.value }) }),
          el("button", { type: "button", class: "quiet", "data-action": "logout", "aria-label": "Log " + label + " out", text: "Log out", onclick: () => supervisorAction(a.id, "logout") }),
          spyControls(a.id, label))));
      body.append(r);
    }
    const f = (n) => r.querySelector(`[data-field="${n}"]`);
    f("name").textContent = a.name ? a.name + " (" + a.id + ")" : a.id;
    f("state").textContent = stateText(a);
    f("state").dataset.state = a.state;
    f("time").textContent = clock(a.seconds_in_status + extra);
    f("queue").textContent = a.queue ? queueName(a.queue) : "–";
    f("number").textContent = a.contact || "–";
    f("calls").textContent = String(a.today.answered);
    const btn = (n) => r.querySelector(`[data-action="${n}"]`);
    enableChanges({ ready: btn("ready"), not_ready: btn("not_ready"), logout: btn("logout") }, a, f("activity").value);
    f("activity").disabled = a.state === "logged_out";
    updateSpyControls(r, a);
  }
  for (const [id, r] of rows) if (!seen.has(id)) r.remove();
  renderCallGrids(last);
}

async function agentAction(action, fields = {}) {
  const msg = $("ag-message");
  try {
    await post("/ui/agents/" + encodeURIComponent(session.agent) + "/" + action, fields);
    msg.textContent = "";
  } catch (e) {
    msg.textContent = e.message;
  }
}

function renderAgent() {
  const me = last.agents[0];
  if (!me) return;
  const st = $("ag-state");
  // The pending change on a line of its own, smaller: the state stays the
  // big word.
  st.textContent = stateText({ ...me, pending: null });
  // The separator is kept for screen readers and copied text only.
  if (me.pending) st.append(el("span", { class: "visually-hidden", text: " · " }), el("span", { class: "pending", text: pendingText(me) }));
  st.dataset.state = me.state;
  $("ag-time").textContent = clock(me.seconds_in_status + elapsed());
  $("ag-call-queue").textContent = me.queue ? queueName(me.queue) : "–";
  const idle = !me.call_id && !me.queue && !me.contact;
  $("ag-call-none").hidden = !idle;
  $("ag-call").hidden = idle;
  $("ag-call-number").textContent = me.contact || "–";
  $("ag-today-answered").textContent = String(me.today.answered);
  $("ag-today-talk").textContent = clock(me.today.acd_talk_seconds);
  if (agentExtras) agentExtras.render(me, last);
  $("ag-login").disabled = me.state !== "logged_out";
  enableChanges({ ready: $("ag-ready"), not_ready: $("ag-notready"), logout: $("ag-logout") }, me, $("ag-activity").value);
  $("ag-activity").disabled = me.state === "logged_out";
}

// ---- session and stream ----
function connect() {
  if (stream) stream.close();
  stream = new EventSource("/ui/events");
  stream.addEventListener("snapshot", (ev) => {
    last = JSON.parse(ev.data);
    last.receivedAt = Date.now();
    window.ccdLast = { seq: last.seq, at: last.at, receivedAt: last.receivedAt };
    render();
  });
  stream.addEventListener("ended", () => signedOut("Your session ended: sign in again."));
}

function signedIn(s) {
  session = s;
  if (s.views.includes("agent") && !agentExtras) {
    import("./agent.js").then((m) => { agentExtras = m; m.start(s); render(); })
      .catch((e) => { $("ag-message").textContent = "Cannot load the call tools: " + e.message; });
  }
  fillActivities($("ag-activity"));
  connect();
  clearInterval(timer);
  timer = setInterval(render, 1000);
  show();
}

function signedOut(message = "") {
  session = null; last = null;
  if (stream) stream.close();
  stream = null;
  clearInterval(timer);
  $("sv-agents").replaceChildren();
  resetReports();
  $("login-error").textContent = message;
  history.replaceState(null, "", location.pathname);
  show();
  $("username").focus();
}

async function start() {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = $("login-error");
    err.textContent = "";
    try {
      signedIn(await post("/ui/login", { username: $("username").value, password: $("password").value }));
      $("password").value = "";
      $("main").focus();
    } catch (e) {
      err.textContent = e.status === 401 ? "Wrong user name or password." : e.message;
      (e.field === "username" ? $("username") : $("password")).focus();
    }
  });
  $("logout").addEventListener("click", async () => {
    try { await post("/ui/logout"); } catch { /* the session is gone either way */ }
    signedOut();
  });
  $("ag-login").addEventListener("click", () => agentAction("login"));
  $("ag-ready").addEventListener("click", () => agentAction("ready"));
  $("ag-notready").addEventListener("click", () => agentAction("not_ready", { activity: $("ag-activity").value }));
  $("ag-logout").addEventListener("click", () => agentAction("logout"));
  $("ag-activity").addEventListener("change", render);
  window.addEventListener("hashchange", show);
  const r = await fetch("/ui/session", { credentials: "same-origin" });
  if (r.ok) signedIn(await r.json());
  else signedOut();
}

start();
