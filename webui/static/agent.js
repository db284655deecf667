// ccd web interface, agent console extras: the current call's profile
// (its attached data) with hold and transfer, the preview campaign panel
// (next target, skip, dial a chosen phone), the callbacks waiting in the
// agent's queues and its own dialer callbacks (Agenda), the day's figures, and the softphone (JsSIP over
// Asterisk's PJSIP WebSocket). Calls the REST API with the session cookie
// and CSRF token. Every text from the server goes in with textContent.

let session = null;
let callID = "";        // the call the profile shows
let call = null;        // its record from GET /api/calls
let phone = null;       // the softphone: {ua, session}
let callbacksAt = 0;
let agentState = "";    // the agent's state in the newest snapshot
let lastMe = null;      // the agent's row of the newest snapshot
let lastQueues = [];    // ... and the queues

const $ = (id) => document.getElementById(id);

function clock(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
}

async function call_(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = session.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (r.status === 401) location.reload(); // the session expired or ended: the page shows the login
  if (!r.ok) {
    const e = data && data.error ? data.error : { message: r.statusText };
    throw Object.assign(new Error(e.message || r.statusText), { field: e.field, status: r.status });
  }
  return data;
}

export function start(s) {
  session = s;
  $("ag-hold").addEventListener("click", () => hold(true));
  $("ag-unhold").addEventListener("click", () => hold(false));
  $("ag-transfer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const to = ev.submitter ? ev.submitter.dataset.to : "queue";
    transfer(to === "number" ? { number: $("ag-transfer-number").value.trim() } : { queue: $("ag-transfer-queue").value });
  });
  $("ag-preview-next").addEventListener("click", () => previewAct("next"));
  $("ag-preview-skip").addEventListener("click", () => previewAct("skip"));
  $("ag-preview-dial").addEventListener("click", () => {
    const picked = document.querySelector('input[name="ag-preview-phone"]:checked');
    previewAct("dial", { phone: picked ? Number(picked.value) : 0 });
  });
  loadPreview();
  if (s.softphone) startPhone(s.softphone);
  startWrapUp();
}

// render follows the agent's row of each snapshot.
export function render(me, snapshot) {
  lastMe = me;
  lastQueues = snapshot.queues || [];
  const t = me.today || {};
  $("ag-today-offered").textContent = String(t.offered || 0);
  $("ag-today-alltalk").textContent = clock(t.talk_seconds || 0);
  $("ag-today-ready").textContent = clock(t.ready_seconds || 0);
  $("ag-today-notready").textContent = clock(t.not_ready_seconds || 0);
  $("ag-today-login").textContent = clock(t.login_seconds || 0);
  fillQueues(snapshot.queues || []);
  const id = ["ringing", "on_call", "wrap_up"].includes(me.state) ? me.call_id || "" : "";
  if (me.state !== agentState) {
    agentState = me.state;
    if (call) showProfile();
  }
  if (id !== callID) {
    callID = id;
    call = null;
    if (id) $("ag-call-message").textContent = ""; // what was done to the last call stays until the next

    showProfile();
    if (id) loadCall();
  }
  if (Date.now() - callbacksAt > 10000) loadCallbacks();
  // A target held is checked every 3 s; an idle panel every 30 s (a preview
  // campaign may start meanwhile).
  if (preview && Date.now() - previewAt > (preview.state !== "idle" ? 3000 : 30000)) loadPreview();
  showPreviewTime();
  // ccd keeps a previewing agent off queue calls as on a direct call.
  if (preview && preview.state === "reserved" && me.state === "on_direct_call") $("ag-state").textContent = "Previewing";
  renderWrapUp(me);
  showIncoming();
}

function fillQueues(queues) {
  const sel = $("ag-transfer-queue");
  const codes = queues.map((q) => q.code).join(",");
  if (sel.dataset.codes === codes) return;
  sel.dataset.codes = codes;
  const keep = sel.value;
  sel.replaceChildren(...queues.map((q) => Object.assign(document.createElement("option"), { value: q.code, textContent: q.name || q.code })));
  if (keep) sel.value = keep;
}

async function loadCall() {
  const id = callID;
  try {
    const calls = await call_("GET", "/api/calls");
    if (id !== callID) return;
    call = (calls || []).find((c) => c.call_id === id) || null;
  } catch (e) {
    $("ag-call-message").textContent = "Call profile: " + e.message;
  }
  showProfile();
  showIncoming();
}

// attached turns a call's attach_data into pairs: a JSON object, a query
// string (a=1&b=2), or the text as it is.
function attached(text) {
  if (!text) return [];
  try {
    const v = JSON.parse(text);
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.entries(v).map(([k, x]) => [k, typeof x === "object" ? JSON.stringify(x) : String(x)]);
  } catch { /* not JSON */ }
  // The dialer's own attach data: campaign=1;target=3;fName=…
  if (!text.includes("&") && /^[^=;\s]+=[^;]*(;[^=;\s]+=[^;]*)+$/.test(text)) {
    return text.split(";").map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]);
  }
  if (/^[^=&\s]+=[^&]*(&[^=&\s]+=[^&]*)*$/.test(text)) {
    return [...new URLSearchParams(text)].map(([k, v]) => [k, v]);
  }
  return [["Data", text]];
}

// queueName is a queue's name as the snapshot gives it, its code when the
// snapshot does not know it.
function queueName(code) {
  const q = lastQueues.find((x) => x.code === code);
  return q ? q.name || q.code : code;
}

// when is a time of a call record, null for none (Go's zero time).
const when = (t) => (t && !t.startsWith("0001-") ? Date.parse(t) : null);

function showProfile() {
  const box = $("ag-profile");
  box.hidden = !call;
  if (!call) return;
  const arrived = when(call.offered_at), held = when(call.held_since) !== null;
  const rows = [
    ["Caller", call.clid || "–"], ["Dialled", call.dnis || "–"], ["Queue", call.queue ? queueName(call.queue) : "–"],
    ["First queue", call.initial_queue ? queueName(call.initial_queue) : "–"], ["Priority", String(call.priority)],
    ["Arrived", arrived === null ? "–" : new Date(arrived).toLocaleTimeString()], ["On hold", held ? "yes" : "no"],
    ...attached(call.attach_data),
  ];
  $("ag-profile-data").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = v;
    return [dt, dd];
  }));
  // Hold and transfer act on a call the agent talks on: while its phone
  // only rings there is nothing to hold or hand over yet.
  const connected = agentState === "on_call";
  $("ag-hold").disabled = held || !connected;
  $("ag-unhold").disabled = !held;
  for (const id of ["ag-transfer-queue", "ag-transfer-to-queue", "ag-transfer-number", "ag-transfer-to-number"]) $(id).disabled = !connected;
}

async function hold(on) {
  if (!callID) return;
  try {
    await call_("POST", "/api/calls/" + encodeURIComponent(callID) + (on ? "/hold" : "/unhold"));
    $("ag-call-message").textContent = on ? "On hold." : "Off hold.";
  } catch (e) {
    $("ag-call-message").textContent = e.message;
  }
  loadCall();
}

async function transfer(to) {
  if (!callID) return;
  const msg = $("ag-call-message"), num = $("ag-transfer-number");
  num.removeAttribute("aria-invalid");
  try {
    await call_("POST", "/api/calls/" + encodeURIComponent(callID) + "/transfer", to);
    msg.textContent = "Transferred to " + (to.queue ? "queue " + to.queue : to.number) + ".";
  } catch (e) {
    msg.textContent = (e.field ? e.field + ": " : "") + e.message;
    if (e.field === "number") { num.setAttribute("aria-invalid", "true"); num.focus(); }
  }
}

async function loadCallbacks() {
  callbacksAt = Date.now();
  const body = $("ag-callbacks");
  let list;
  try {
    list = await call_("GET", "/api/callbacks?state=waiting,calling");
  } catch (e) {
    body.replaceChildren(row([e.message], 5));
    return;
  }
  // Due: when it is placed, not before the customer's earliest time.
  const due = (cb) => new Date(Math.max(Date.parse(cb.place_at) || 0, Date.parse(cb.not_before || "") || 0)).toLocaleString();
  const rows = list.map((cb) => row([due(cb), queueName(cb.queue), cb.number, cb.state, cb.attempts + " of " + cb.max_attempts]));
  // The agent's own callbacks of the dialer's campaigns (Agenda): placed
  // for this agent alone when it is ready.
  const agenda = await call_("GET", "/api/agents/" + encodeURIComponent(session.agent) + "/agenda").catch(() => null);
  for (const cb of agenda ? agenda.callbacks : []) {
    rows.push(row([new Date(cb.callbackAt).toLocaleString(), "campaign " + cb.campaignId,
      (cb.phone + " " + [cb.fName, cb.lName].join(" ").trim() + (cb.comments ? " — " + cb.comments : "")).trim(),
      cb.dialling ? "calling (mine)" : "mine", "–"]));
  }
  body.replaceChildren(...(rows.length ? rows : [row(["No callbacks are waiting in your queues."], 5)]));
}

function row(cells, span) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    td.textContent = c;
    if (span) { td.colSpan = span; td.className = "muted"; }
    tr.append(td);
  }
  return tr;
}

// ---- wrap-up: the disposition of a dialer campaign's call ----
// The panel opens while the agent has a call the dialer placed (talking or
// in its wrap-up) and closes when the wrap-up ends; saving again corrects
// the disposition. The server's refusals are shown at their field.

let wrapCall = ""; // the call the panel is for; "" while closed
const wrapKey = "ccd-wrapup-call";

const wrapFields = { optionId: "ag-wrapup-option", agendaAt: "ag-wrapup-at", agendaKind: "ag-wrapup-kind", comments: "ag-wrapup-comments" };

function startWrapUp() {
  $("ag-wrapup-form").addEventListener("submit", (ev) => { ev.preventDefault(); saveDisposition(); });
  $("ag-wrapup-option").addEventListener("change", showAgendaFields);
}

function renderWrapUp(me) {
  // In the wrap-up the snapshot has no call any more: the panel keeps the
  // one that ended, also across a reload of the page (the server checks
  // that it is the agent's).
  const kept = wrapCall || sessionStorage.getItem(wrapKey) || "";
  const id = me.state === "on_call" ? me.call_id || "" : me.state === "wrap_up" ? me.call_id || kept : "";
  if (id === wrapCall) return;
  wrapCall = id;
  if (id) sessionStorage.setItem(wrapKey, id);
  else sessionStorage.removeItem(wrapKey);
  $("ag-wrapup").hidden = true;
  $("ag-wrapup-form").reset();
  clearWrapErrors();
  $("ag-wrapup-message").textContent = "";
  $("ag-wrapup-save").textContent = "Save disposition";
  if (id) loadWrapUp(id);
}

async function loadWrapUp(id) {
  let panel;
  try {
    panel = await call_("GET", "/ui/calls/" + encodeURIComponent(id) + "/disposition");
  } catch (e) {
    // 409: not a campaign's call, which takes no disposition; 403: a call
    // kept from before a reload that is not the agent's any more.
    if (e.status !== 409 && e.status !== 403 && id === wrapCall) {
      $("ag-wrapup-message").textContent = "Disposition: " + e.message;
      $("ag-wrapup").hidden = false;
    }
    return;
  }
  if (id !== wrapCall) return;
  const sel = $("ag-wrapup-option");
  sel.replaceChildren(Object.assign(document.createElement("option"), { value: "", textContent: "Choose…" }), ...panel.options.map((o) => {
    const opt = Object.assign(document.createElement("option"), { value: String(o.id), textContent: o.name });
    opt.dataset.kind = o.kind;
    return opt;
  }));
  $("ag-wrapup-campaign").textContent = "Campaign " + panel.campaign + " · contact " + panel.targetId;
  if (panel.disposition) showSaved(panel.disposition);
  showAgendaFields();
  $("ag-wrapup").hidden = false;
}

function showAgendaFields() {
  const o = $("ag-wrapup-option").selectedOptions[0];
  const agenda = !!o && o.dataset.kind === "agenda";
  $("ag-wrapup-agenda").hidden = !agenda;
  $("ag-wrapup-kind").hidden = !agenda;
}

// localInput is a time as a datetime-local input shows it (the agent's zone).
function localInput(t) {
  const d = new Date(t), pad = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function showSaved(d) {
  $("ag-wrapup-option").value = String(d.optionId);
  $("ag-wrapup-comments").value = d.comments || "";
  if (d.agendaAt) $("ag-wrapup-at").value = localInput(d.agendaAt);
  if (d.agendaKind) $(d.agendaKind === "global" ? "ag-wrapup-global" : "ag-wrapup-personal").checked = true;
  const o = $("ag-wrapup-option").selectedOptions[0];
  $("ag-wrapup-message").textContent = "Saved: " + (o ? o.textContent : "") + ". You may correct it until the wrap-up ends.";
  $("ag-wrapup-save").textContent = "Save correction";
}

function clearWrapErrors() {
  for (const id of Object.values(wrapFields)) {
    $(id).removeAttribute("aria-invalid");
    $(id + "-error").textContent = "";
  }
}

async function saveDisposition() {
  const id = wrapCall;
  if (!id) return;
  clearWrapErrors();
  const form = new URLSearchParams({ optionId: $("ag-wrapup-option").value, comments: $("ag-wrapup-comments").value });
  if (!$("ag-wrapup-agenda").hidden) {
    const at = $("ag-wrapup-at").value, when = new Date(at);
    if (at) form.set("agendaAt", isNaN(when) ? at : when.toISOString());
    form.set("agendaKind", $("ag-wrapup-global").checked ? "global" : "personal");
  }
  const msg = $("ag-wrapup-message");
  try {
    const r = await fetch("/ui/calls/" + encodeURIComponent(id) + "/disposition", {
      method: "POST", credentials: "same-origin", body: form,
      headers: { Accept: "application/json", "X-CSRF-Token": session.csrf },
    });
    const data = await r.json().catch(() => null);
    if (r.status === 401) location.reload();
    if (!r.ok) {
      const e = data && data.error ? data.error : { message: r.statusText };
      const el = wrapFields[e.field];
      if (el) {
        $(el).setAttribute("aria-invalid", "true");
        $(el + "-error").textContent = e.message;
        $(el).focus();
        msg.textContent = "";
      } else {
        msg.textContent = e.message;
      }
      return;
    }
    if (id === wrapCall) showSaved(data.disposition);
  } catch (e) {
    msg.textContent = e.message;
  }
}

// ---- softphone ----

function phoneState(state, text) {
  const b = $("sp-state");
  b.dataset.state = state;
  b.textContent = text;
  window.ccdPhone = state;
}

async function startPhone(url) {
  $("ag-phone").hidden = false;
  phoneState("starting", "loading");
  let creds, JsSIP;
  try {
    JsSIP = (await import("./vendor/jssip.min.js")).default;
    window.ccdJsSIP = JsSIP.version;
  } catch (e) {
    phoneState("failed", "cannot load the SIP library: " + e.message);
    return;
  }
  try {
    creds = await call_("GET", "/api/v1/sip/credentials/agent/");
  } catch (e) {
    phoneState(e.status === 404 ? "none" : "failed", e.status === 404 ? "no softphone for this agent" : e.message);
    return;
  }
  const host = new URL(url).hostname;
  let ua;
  try {
    ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(url)],
      uri: "sip:" + creds.sip_user + "@" + host,
      password: creds.sip_password,
      register: true,
      session_timers: false,
    });
  } catch (e) {
    phoneState("failed", e.message);
    return;
  }
  phone = { ua, session: null, autoAnswer: creds.auto_answer === true };
  phoneState("registering", "registering");
  ua.on("registered", () => phoneState("registered", "registered"));
  ua.on("unregistered", () => phoneState("unregistered", "not registered"));
  ua.on("registrationFailed", (e) => phoneState("failed", "registration failed: " + (e.cause || "")));
  ua.on("disconnected", () => { if (window.ccdPhone !== "failed") phoneState("disconnected", "cannot reach " + host); });
  ua.on("newRTCSession", (e) => incoming(e.session, e.originator, e.request));
  $("sp-answer").addEventListener("click", answerPhone);
  $("sp-hangup").addEventListener("click", () => { if (phone.session) phone.session.terminate(); });
  ua.start();
}

function answerPhone() {
  try {
    if (phone.session) phone.session.answer({ mediaConstraints: { audio: true, video: false } });
  } catch (e) {
    $("sp-incoming").textContent = "Cannot answer: " + e.message;
  }
}

// autoAnswerDelay is how many seconds an INVITE asks the phone to wait
// before answering by itself, or -1 when it does not ask: Call-Info with
// answer-after=N, or Alert-Info with info=alert-autoanswer (delay=N), the
// headers ccd adds for an agent with auto_answer.
function autoAnswerDelay(request) {
  if (!request || !request.getHeaders) return -1;
  for (const h of request.getHeaders("Call-Info")) {
    const m = /;\s*answer-after=(\d+)/i.exec(h);
    if (m) return Number(m[1]);
  }
  for (const h of request.getHeaders("Alert-Info")) {
    if (/;\s*info=alert-autoanswer/i.test(h)) {
      const m = /;\s*delay=(\d+)/i.exec(h);
      return m ? Number(m[1]) : 0;
    }
  }
  return -1;
}

// offerText describes the call the ACD offers the agent while its phone
// rings: the caller (for a dialer call the campaign target's name, from
// the call's attach data) and the queue; "" when the agent is not being
// offered a call (a direct call to the phone).
function offerText() {
  if (!lastMe || lastMe.state !== "ringing" || !callID) return "";
  const pairs = call && call.call_id === callID ? attached(call.attach_data) : [];
  const get = (k) => (pairs.find(([n]) => n === k) || [])[1] || "";
  const name = [get("fName"), get("lName")].join(" ").trim();
  const number = (call && call.clid) || lastMe.contact || "";
  const who = name ? name + (number ? " (" + number + ")" : "") : number || "unknown number";
  return who + (lastMe.queue ? " · queue " + queueName(lastMe.queue) : "");
}

// showIncoming says who rings the softphone; the ACD's offer may reach the
// page after the phone starts ringing, so every snapshot updates it.
function showIncoming() {
  const r = phone && phone.ringing;
  if (!r) return;
  r.offer = offerText() || r.offer;
  $("sp-incoming").textContent = (r.auto ? "Answering automatically: call from " : "Incoming call from ") + (r.offer || r.who);
}

function incoming(s, originator, request) {
  phone.session = s;
  const who = s.remote_identity ? s.remote_identity.display_name || s.remote_identity.uri.user : "";
  // Only the agent's own setting lets a call answer itself: a header
  // alone, from anyone who can reach the phone, does not.
  const delay = originator === "remote" && phone.autoAnswer ? autoAnswerDelay(request) : -1;
  const ringing = originator === "remote" ? { who, auto: delay >= 0, offer: "" } : null;
  phone.ringing = ringing;
  if (ringing) showIncoming();
  else $("sp-incoming").textContent = "Calling " + who;
  $("sp-answer").disabled = originator !== "remote";
  $("sp-hangup").disabled = false;
  s.on("peerconnection", (e) => {
    e.peerconnection.addEventListener("track", (t) => { $("sp-audio").srcObject = t.streams[0]; });
  });
  // Browsers may take long to finish gathering ICE candidates (seconds on a
  // machine with unused interfaces): half a second after the first one
  // the answer goes with what was found, as Asterisk takes full candidates.
  let iceTimer = null;

  s.on("icecandidate", (e) => { if (!iceTimer) iceTimer = setTimeout(() => e.ready(), 500); });
  s.on("accepted", () => {
    if (phone.ringing === ringing) phone.ringing = null;
    const with_ = (ringing && ringing.offer) || who;
    $("sp-incoming").textContent = (ringing && ringing.auto ? "Answered automatically: in call with " : "In call with ") + with_;
    $("sp-answer").disabled = true;
  });
  const end = () => {
    phone.session = null;
    if (phone.ringing === ringing) phone.ringing = null;
    $("sp-incoming").textContent = "";
    $("sp-answer").disabled = true;
    $("sp-hangup").disabled = true;
  };
  s.on("ended", end);
  s.on("failed", end);
  if (delay >= 0) {
    setTimeout(() => { if (phone.session === s && !s.isEstablished()) answerPhone(); }, delay * 1000);
  }
}

// ---- preview campaigns ----

let preview = null;   // what GET /api/agents/:id/preview answered
let previewAt = 0;

const previewPath = (action) => "/api/agents/" + encodeURIComponent(session.agent) + "/preview" + (action ? "/" + action : "");

async function loadPreview() {
  previewAt = Date.now();
  try {
    const st = await call_("GET", previewPath(""));
    showPreview(st);
    // A held target may come with a word on what happened to it (e.g. the
    // agent's own phone did not answer, so the customer was not called).
    if (st.message && st.state === "reserved") $("ag-preview-message").textContent = st.message;
  } catch (e) {
    // 503: the dialer is off here; the panel has nothing to offer.
    $("ag-preview").hidden = e.status === 503;
    $("ag-preview-message").textContent = e.status === 503 ? "" : e.message;
  }
}

async function previewAct(action, body) {
  const msg = $("ag-preview-message");
  msg.textContent = "";
  for (const b of ["next", "skip", "dial"]) $("ag-preview-" + b).disabled = true;
  try {
    const st = await call_("POST", previewPath(action), body);
    showPreview(st);
    if (action === "skip") msg.textContent = "Skipped.";
    if (action === "dial") msg.textContent = "Calling " + st.phone + ": your phone rings first.";
    if (action === "next" && st.state === "idle") msg.textContent = st.message || "No target is due now.";
  } catch (e) {
    msg.textContent = (e.field ? e.field + ": " : "") + e.message;
    showPreview(preview);
  }
}

function showPreview(st) {
  preview = st || { state: "idle" };
  const held = preview.state === "reserved", dialing = preview.state === "dialing";
  const t = preview.target || null;
  // Shown while the agent serves an active preview campaign, or holds a target.
  $("ag-preview").hidden = preview.state === "idle" && preview.previewCampaigns === 0;
  $("ag-preview-state").textContent = held ? "Target held for you (" + (preview.campaignName || "campaign " + preview.campaignId) + ")" :
    dialing ? "Dialling " + preview.phone + " for " + (preview.campaignName || "the campaign") : "No target held.";
  const rows = t ? [["Name", [t.fName, t.lName].filter(Boolean).join(" ") || "–"], ["Phone I", t.phoneI || "–"],
    ["Phone II", t.phoneII || "–"], ["Phone III", t.phoneIII || "–"], ["Data I", t.dataI || "–"], ["Data II", t.dataII || "–"],
    ["Data III", t.dataIII || "–"], ["Priority", String(t.priority)], ["Attempts so far", String(t.totalDials)]] : [];
  if (held) rows.push(["Held until", new Date(Date.parse(preview.expiresAt)).toLocaleTimeString()]);
  $("ag-preview-data").replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = v;
    return [dt, dd];
  }));
  $("ag-preview-phones").hidden = !held;
  for (const i of [1, 2, 3]) {
    const n = t ? [t.phoneI, t.phoneII, t.phoneIII][i - 1] || "" : "";
    const input = $("ag-preview-phone" + i);
    input.disabled = !held || n === "";
    input.checked = held && i === preview.phoneIndex;
    input.parentElement.hidden = n === "";
    $("ag-preview-phone" + i + "-n").textContent = n;
  }
  $("ag-preview-next").disabled = held || dialing;
  $("ag-preview-skip").disabled = !held;
  $("ag-preview-dial").disabled = !held;
}

// showPreviewTime goes back to idle when the hold ran out (the server
// released the target).
function showPreviewTime() {
  if (preview && preview.state === "reserved" && Date.parse(preview.expiresAt) < Date.now()) {
    $("ag-preview-message").textContent = "The target was held too long and went back to the others.";
    loadPreview();
  }
}
