// Reports: every statistics table as an interval report (quarter-hour,
// hour, day, week, month) with filters, charts drawn as plain SVG, the
// table's CSV (the REST API's own, through the session), printing; and the
// calls search with the recording player. Every text from the server goes
// in with textContent.

import { $, el, clock } from "./app.js";

const tables = [
  ["devicestat", "Queues and DNIS (DeviceStat)"],
  ["agentstat", "Agents (AgentStat)"],
  ["agentbydevicestat", "Agents by queue (AgentByDeviceStat)"],
  ["agentactivitystat", "Agent activities (AgentActivityStat)"],
  ["devicetimes", "Wait and talk times (DeviceTimes)"],
  ["extensionstat", "Extensions (ExtensionStat)"],
  ["routerstat", "Routing (RouterStat)"],
  ["campaignstat", "Dialer campaigns (CampaignStat)"],
  ["campaigndispositionstat", "Dispositions per campaign (CampaignDispositionStat)"],
];
// Which filters each table takes (the REST API refuses the others).
const filters = {
  devicestat: ["queue", "dnis"], devicetimes: ["queue", "dnis"], agentbydevicestat: ["queue", "agent", "dnis"],
  agentstat: ["agent"], agentactivitystat: ["agent"], extensionstat: [], routerstat: [], campaignstat: [], campaigndispositionstat: [],
};
const intervals = [["quarter", "Quarter-hour"], ["hour", "Hour"], ["day", "Day"], ["week", "Week"], ["month", "Month"]];
// The interval a quarter-hour row falls in, from the columns every table has.
const intervalOf = {
  quarter: (r) => r.thedate.slice(0, 16).replace("T", " "), hour: (r) => r.theday + " " + r.thehour,
  day: (r) => r.theday, week: (r) => r.theweek, month: (r) => r.themonth,
};
const timeCols = new Set(["calcts", "thedate", "themonth", "theweek", "theday", "thehour"]);
const keyCols = new Set(["devicecode", "devicetype", "device", "usercode", "agent", "timetype", "timeframe",
  "activitycode", "activity", "extension", "blockid", "campaignid"]);
const deviceTypes = { 1: "agent", 2: "DNIS", 3: "queue" };

let built = false;
let busy = 0;

const today = () => new Date().toLocaleDateString("en-CA"); // YYYY-MM-DD in the browser's zone
const nextDay = (d) => { const t = new Date(d + "T12:00:00"); t.setDate(t.getDate() + 1); return t.toLocaleDateString("en-CA"); };
const svgNS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// ---- the form ----

function build(last) {
  built = true;
  $("rp-table").replaceChildren(...tables.map(([v, t]) => el("option", { value: v, text: t })));
  $("rp-interval").replaceChildren(...intervals.map(([v, t]) => el("option", { value: v, text: t })));
  $("rp-interval").value = "hour";
  $("rp-from").value = $("rp-to").value = $("cs-from").value = $("cs-to").value = today();
  const opts = (id, items) => $(id).replaceChildren(el("option", { value: "", text: "All" }), ...items);
  opts("rp-queue", last.queues.map((q) => el("option", { value: q.code, text: q.name || q.code })));
  opts("rp-agent", last.agents.map((a) => el("option", { value: a.id, text: a.name ? a.name + " (" + a.id + ")" : a.id })));
  opts("cs-agent", last.agents.map((a) => el("option", { value: a.id, text: a.name ? a.name + " (" + a.id + ")" : a.id })));
  $("rp-form").addEventListener("submit", (ev) => { ev.preventDefault(); show(); });
  $("rp-table").addEventListener("change", csvLink);
  for (const id of ["rp-from", "rp-to", "rp-queue", "rp-agent", "rp-dnis"]) $(id).addEventListener("change", csvLink);
  $("rp-print").addEventListener("click", () => window.print());
  $("cs-form").addEventListener("submit", (ev) => { ev.preventDefault(); searchCalls(); });
  csvLink();
}

// query is the REST API's query of a table for the form's range and the
// filters the table takes.
function query(table, format = "json") {
  const q = new URLSearchParams({ from: $("rp-from").value, to: nextDay($("rp-to").value || $("rp-from").value), format });
  for (const f of filters[table] || []) {
    const v = $("rp-" + f).value.trim();
    if (v) q.set(f, v);
  }
  return "/ui/stats/" + table + "?" + q;
}

function csvLink() {
  const a = $("rp-csv");
  a.href = query($("rp-table").value, "csv");
  a.setAttribute("download", $("rp-table").value + "-" + $("rp-from").value + ".csv");
}

async function fetchTable(path) {
  const r = await fetch(path, { credentials: "same-origin" });
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const e = data && data.error ? data.error : { message: r.statusText };
    throw Object.assign(new Error(e.message), { field: e.field });
  }
  return data;
}

// ---- aggregation: quarter-hours into intervals ----

function aggregate(data, interval) {
  const valueCols = data.columns.filter((c) => !timeCols.has(c) && !keyCols.has(c));
  const keys = data.columns.filter((c) => keyCols.has(c));
  const groups = new Map();
  for (const r of data.rows) {
    const k = [intervalOf[interval](r), ...keys.map((c) => r[c])].join("\u0000");
    let g = groups.get(k);
    if (!g) {
      g = { interval: intervalOf[interval](r) };
      for (const c of keys) g[c] = r[c];
      groups.set(k, g);
    }
    for (const c of valueCols) {
      const v = r[c];
      if (typeof v !== "number") continue;
      if (g[c] == null) g[c] = v;
      else if (c.startsWith("min")) g[c] = Math.min(g[c], v);
      else if (c.startsWith("max")) g[c] = Math.max(g[c], v);
      else g[c] += v;
    }
  }
  const rows = [...groups.values()].sort((a, b) => (a.interval < b.interval ? -1 : a.interval > b.interval ? 1 : 0));
  const shownKeys = keys.filter((c) => c !== "devicecode" && !(c === "usercode" && keys.includes("agent")));
  return { columns: ["interval", ...shownKeys, ...valueCols], rows };
}

function cell(c, v) {
  if (v == null) return "";
  if (c === "devicetype") return deviceTypes[v] || String(v);
  return String(v);
}

function renderTable(agg) {
  const t = $("rp-result");
  t.replaceChildren(
    el("caption", { text: $("rp-table").selectedOptions[0].textContent + " by " + $("rp-interval").selectedOptions[0].textContent.toLowerCase() }),
    el("thead", {}, el("tr", {}, ...agg.columns.map((c) => el("th", { scope: "col", text: c })))),
    el("tbody", {}, ...agg.rows.map((r) => el("tr", {}, ...agg.columns.map((c, i) =>
      i === 0 ? el("th", { scope: "row", text: r[c] }) : el("td", { class: typeof r[c] === "number" ? "num" : "", text: cell(c, r[c]) }))))));
  $("rp-empty").hidden = agg.rows.length > 0;
}

// ---- charts ----

const W = 640, H = 220, PAD = { l: 44, r: 12, t: 12, b: 38 };
const series = { answered: "var(--ok)", abandoned: "var(--red)", other: "var(--muted)", line: "var(--accent)",
  ready: "var(--ok)", not_ready: "var(--amber)", talk: "var(--accent)", wrap_up: "var(--muted)" };

function chart(id, title, legend, draw) {
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": id + "-t", class: "chart" },
    svg("title", { id: id + "-t", text: title }));
  draw(s);
  const fig = el("figure", { class: "card chart-card", id },
    el("figcaption", { text: title }), s,
    el("ul", { class: "legend" }, ...legend.map(([k, name]) => el("li", {}, el("span", { class: "swatch", "data-series": k }), name))));
  return fig;
}

function axes(s, labels, max, fmt = String) {
  const x0 = PAD.l, y0 = H - PAD.b, w = W - PAD.l - PAD.r, h = H - PAD.t - PAD.b;
  for (let i = 0; i <= 4; i++) {
    const y = y0 - (h * i) / 4;
    s.append(svg("line", { x1: x0, x2: x0 + w, y1: y, y2: y, class: "grid" }),
      svg("text", { x: x0 - 6, y: y + 4, "text-anchor": "end", class: "tick", text: fmt((max * i) / 4) }));
  }
  const step = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((l, i) => {
    if (i % step) return;
    s.append(svg("text", { x: x0 + (w * (i + 0.5)) / labels.length, y: y0 + 16, "text-anchor": "middle", class: "tick", text: l }));
  });
  return { x0, y0, w, h };
}

const nice = (n) => (n <= 4 ? 4 : Math.ceil(n / 4) * 4);
const short = (l) => (l.length > 11 ? l.slice(-5) : l);

// offeredChart stacks answered, abandoned and the rest of the offered calls
// per interval.
function offeredChart(byInterval) {
  const labels = [...byInterval.keys()];
  const vals = [...byInterval.values()];
  const max = nice(Math.max(1, ...vals.map((v) => Math.max(v.offered, v.answered + v.abandoned))));
  return chart("rp-chart-offered", "Offered, answered and abandoned calls",
    [["answered", "Answered"], ["abandoned", "Abandoned"], ["other", "Other (overflowed, transferred, waiting)"]], (s) => {
      const a = axes(s, labels.map(short), max, (v) => String(Math.round(v)));
      const bw = Math.min(56, (a.w / Math.max(1, labels.length)) * 0.7);
      vals.forEach((v, i) => {
        let y = a.y0;
        const x = a.x0 + (a.w * (i + 0.5)) / labels.length - bw / 2;
        for (const [k, n] of [["answered", v.answered], ["abandoned", v.abandoned], ["other", Math.max(0, v.offered - v.answered - v.abandoned)]]) {
          const h = (a.h * n) / max;
          if (h > 0) s.append(svg("rect", { x, y: y - h, width: bw, height: h, fill: series[k], "data-series": k },
            svg("title", { text: `${labels[i]}: ${n} ${k}` })));
          y -= h;
        }
      });
    });
}

// slChart is the service level per interval: answered within the threshold
// (DeviceTimes' answer waits) over answered and abandoned.
function slChart(byInterval, sl) {
  const labels = [...byInterval.keys()];
  const pts = [...byInterval.values()].map((v) => (v.answered + v.abandoned ? (100 * v.inSL) / (v.answered + v.abandoned) : null));
  return chart("rp-chart-sl", `Service level (answered within ${sl} s)`, [["line", "Service level %"]], (s) => {
    const a = axes(s, labels.map(short), 100, (v) => Math.round(v) + "%");
    let d = "";
    pts.forEach((p, i) => {
      if (p == null) return;
      const x = a.x0 + (a.w * (i + 0.5)) / labels.length, y = a.y0 - (a.h * p) / 100;
      d += (d ? " L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
      s.append(svg("circle", { cx: x, cy: y, r: 3.5, fill: series.line }, svg("title", { text: `${labels[i]}: ${Math.round(p)}%` })));
    });
    if (d) s.prepend(svg("path", { d, fill: "none", stroke: series.line, "stroke-width": 2.5 }));
  });
}

// agentChart stacks each agent's ready, not ready, talk and wrap-up time.
function agentChart(agents) {
  const names = [...agents.keys()];
  const vals = [...agents.values()];
  const total = (v) => v.ready + v.not_ready + v.talk + v.wrap_up;
  const max = Math.max(60, ...vals.map(total));
  const fmt = (v) => (max >= 7200 ? (v / 3600).toFixed(1) + " h" : max >= 600 ? Math.round(v / 60) + " min" : clock(v));
  const rowH = 22, height = Math.max(H, PAD.t + PAD.b + names.length * rowH);
  const fig = chart("rp-chart-agents", "Agent state time", [["ready", "Ready"], ["not_ready", "Not ready"], ["talk", "Talk"], ["wrap_up", "Wrap-up"]], (s) => {
    s.setAttribute("viewBox", `0 0 ${W} ${height}`);
    const x0 = 110, w = W - x0 - PAD.r, y0 = height - PAD.b;
    for (let i = 0; i <= 4; i++) {
      const x = x0 + (w * i) / 4;
      s.append(svg("line", { x1: x, x2: x, y1: PAD.t, y2: y0, class: "grid" }),
        svg("text", { x, y: y0 + 16, "text-anchor": "middle", class: "tick", text: fmt((max * i) / 4) }));
    }
    names.forEach((n, i) => {
      const y = PAD.t + i * rowH + 3;
      s.append(svg("text", { x: x0 - 6, y: y + 12, "text-anchor": "end", class: "tick", text: n }));
      let x = x0;
      for (const k of ["ready", "not_ready", "talk", "wrap_up"]) {
        const bw = (w * vals[i][k]) / max;
        if (bw > 0) s.append(svg("rect", { x, y, width: bw, height: rowH - 6, fill: series[k], "data-series": k },
          svg("title", { text: `${n}: ${fmt(vals[i][k])} ${k.replace("_", " ")}` })));
        x += bw;
      }
    });
  });
  return fig;
}

// waitChart is the distribution of the waits of answered and abandoned
// calls, in DeviceTimes' two-second frames grouped to ten seconds.
function waitChart(times) {
  const buckets = new Map();
  for (const r of times) {
    if (r.devicetype !== 3 || (r.timetype !== 12 && r.timetype !== 13)) continue;
    const b = Math.min(120, Math.ceil(r.timeframe / 10) * 10);
    const v = buckets.get(b) || { answered: 0, abandoned: 0 };
    v[r.timetype === 12 ? "answered" : "abandoned"] += r.amount;
    buckets.set(b, v);
  }
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const labels = keys.map((k) => (k >= 120 ? "> 110 s" : k === 0 ? "0 s" : "≤ " + k + " s"));
  const vals = keys.map((k) => buckets.get(k));
  const max = nice(Math.max(1, ...vals.map((v) => v.answered + v.abandoned)));
  return chart("rp-chart-wait", "Wait time distribution (queues)", [["answered", "Answered after"], ["abandoned", "Abandoned after"]], (s) => {
    const a = axes(s, labels, max, (v) => String(Math.round(v)));
    const bw = Math.min(56, (a.w / Math.max(1, labels.length)) * 0.7);
    vals.forEach((v, i) => {
      const x = a.x0 + (a.w * (i + 0.5)) / labels.length - bw / 2;
      let y = a.y0;
      for (const k of ["answered", "abandoned"]) {
        const h = (a.h * v[k]) / max;
        if (h > 0) s.append(svg("rect", { x, y: y - h, width: bw, height: h, fill: series[k], "data-series": k },
          svg("title", { text: `${labels[i]}: ${v[k]} ${k}` })));
        y -= h;
      }
    });
  });
}

// figures folds DeviceStat and DeviceTimes into per-interval counts: the
// queue rows, or the DNIS rows when a DNIS is chosen.
function figures(device, times, interval, sl) {
  const type = $("rp-dnis").value.trim() ? 2 : 3;
  const by = new Map();
  const at = (k) => by.get(k) || (by.set(k, { offered: 0, answered: 0, abandoned: 0, inSL: 0 }), by.get(k));
  for (const r of device.rows) {
    if (r.devicetype !== type) continue;
    const v = at(intervalOf[interval](r));
    v.offered += r.offered; v.answered += r.answered; v.abandoned += r.abandoned;
  }
  const tt = type === 3 ? 12 : 10;
  for (const r of times.rows) {
    if (r.devicetype === type && r.timetype === tt && r.timeframe <= sl) at(intervalOf[interval](r)).inSL += r.amount;
  }
  return new Map([...by.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

function agentTimes(rows) {
  const by = new Map();
  for (const r of rows) {
    const n = r.agent || String(r.usercode);
    const v = by.get(n) || { ready: 0, not_ready: 0, talk: 0, wrap_up: 0 };
    v.ready += r.readytime; v.not_ready += r.notreadytime; v.talk += r.sumacdcallstalktime; v.wrap_up += r.sumacwtime;
    by.set(n, v);
  }
  return new Map([...by.entries()].filter(([, v]) => v.ready + v.not_ready + v.talk + v.wrap_up > 0));
}

async function show() {
  const msg = $("rp-message");
  const table = $("rp-table").value, interval = $("rp-interval").value;
  const sl = Math.max(0, +$("rp-sl").value || 20);
  csvLink();
  msg.textContent = "Loading…";
  const run = ++busy;
  try {
    // One request per table: the table shown and the charts drawn from
    // the same table must be the same reading (two requests a moment
    // apart may straddle the statistics job's next fold, and disagree).
    const once = new Map();
    const get = (path) => once.get(path) || once.set(path, fetchTable(path)).get(path);
    const [main, device, times, agents] = await Promise.all([
      get(query(table)), get(query("devicestat")), get(query("devicetimes")), get(query("agentstat"))]);
    if (run !== busy) return;
    renderTable(aggregate(main, interval));
    const byInterval = figures(device, times, interval, sl);
    $("rp-charts").replaceChildren(offeredChart(byInterval), slChart(byInterval, sl), agentChart(agentTimes(agents.rows)), waitChart(times.rows));
    $("rp-title").textContent = `${$("rp-table").selectedOptions[0].textContent}, ${$("rp-from").value} to ${$("rp-to").value}`;
    msg.textContent = "";
  } catch (e) {
    msg.textContent = e.message;
    if (e.field && $("rp-" + e.field)) $("rp-" + e.field).focus();
  }
}

// ---- calls search and recordings ----

async function searchCalls() {
  const msg = $("cs-message");
  const q = new URLSearchParams({ from: $("cs-from").value, to: nextDay($("cs-to").value || $("cs-from").value), format: "json", limit: "5000" });
  const agent = $("cs-agent").value, dnis = $("cs-dnis").value.trim(), clid = $("cs-clid").value.trim();
  if (agent) q.set("agent", agent);
  if (dnis) q.set("dnis", dnis);
  msg.textContent = "Searching…";
  try {
    const data = await fetchTable("/ui/stats/callsstat?" + q);
    // The CLID is matched here: the table is filtered by agent and DNIS.
    const rows = data.rows.filter((r) => !clid || (r.clid || "").includes(clid)).slice(-500).reverse();
    $("cs-results").replaceChildren(...rows.map(callRow));
    $("cs-table").hidden = rows.length === 0;
    msg.textContent = rows.length ? rows.length + " calls" : "No calls match.";
  } catch (e) {
    msg.textContent = e.message;
  }
}

const hhmm = (ts) => (ts ? new Date(ts).toLocaleString() : "–");

function callRow(r) {
  const play = el("button", { type: "button", class: "quiet", "data-action": "play", text: "Play",
    "aria-label": "Play the recording of call " + r.callid, onclick: () => playRecording(r) });
  play.disabled = !r.recording;
  return el("tr", { "data-call": String(r.callid) },
    el("td", { text: hhmm(r.offeredts) }), el("td", { text: r.clid || "–" }), el("td", { text: r.dnis || "–" }),
    el("td", { text: r.handled_on_queue_code || r.initial_queue_code || "–" }), el("td", { text: r.agent_id || "–" }),
    el("td", { text: r.answeredts ? "answered" : r.abandonedts ? "abandoned" : "other" }), el("td", {}, play));
}

function playRecording(r) {
  const player = $("cs-player");
  player.src = "/ui/recordings/" + encodeURIComponent(r.callid) + "/file";
  $("cs-playing").textContent = "Call " + r.callid + (r.clid ? " from " + r.clid : "");
  $("cs-player-card").hidden = false;
  player.play().catch(() => { /* the user presses play */ });
}

export function renderReports(last) {
  if (!built) {
    build(last);
    show();
  }
}

// resetReports forgets the form after a logout (the next user's queues and
// agents may differ).
export function resetReports() {
  if (!built) return;
  built = false;
  for (const id of ["rp-form", "cs-form", "rp-print"]) $(id).replaceWith($(id).cloneNode(true));
  $("rp-charts").replaceChildren();
  $("rp-result").replaceChildren();
  $("cs-results").replaceChildren();
}
