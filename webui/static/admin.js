// ccd web interface, administration: forms over the admin API (live
// configuration, webhooks) and the dialer API (campaigns, schedules). The
// page calls the REST API with its session cookie and CSRF token; an
// item's version (ETag) goes back as If-Match, so that a change made from
// an item someone else changed meanwhile is refused (409), not lost. Every
// text from the server goes in with textContent, never as HTML.

let session = null;
let current = null;   // the kind shown
let editing = null;   // {kind, id, etag, original} of the open form

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

// ---- the kinds of items ----

const f = (key, label, type = "text", more = {}) => ({ key, label, type, ...more });

const liveconf = (key, title, idKey, fields, columns) => ({
  key, title, idKey, fields, columns, versioned: true,
  list: "/api/admin/" + key, one: (id) => "/api/admin/" + key + "/" + encodeURIComponent(id), create: "PUT",
});

const kinds = [
  liveconf("queues", "Queues", "code", [
    f("code", "Code", "id", { hint: "letters, digits and _.@+-" }),
    f("name", "Name"),
    f("skills", "Required skills and minimum levels", "levels"),
    f("groups", "Only agents of these groups", "list"),
    f("strategy", "Agent selection", "select", { options: ["", "longest_idle", "skill_level", "weighted"] }),
    f("ring_timeout", "Ring timeout", "duration"),
    f("wrap_up", "Wrap-up", "duration"),
    f("service_level", "Service level target", "duration"),
    f("max_waiting", "Most callers waiting", "int"),
    f("full_destination", "When full: queue or number"),
    f("announce_every", "Announce position every", "duration"),
    f("moh_class", "Music on hold class"),
    f("greeting", "Greeting (sound:…)"),
    f("record", "Record calls", "bool"),
    f("overflow", "Overflow rules (JSON list)", "json"),
  ], ["code", "name", "strategy", "ring_timeout", "max_waiting"]),
  liveconf("agents", "Agents", "id", [
    f("id", "Agent id", "id"),
    f("name", "Name"),
    f("email", "E-mail"),
    f("endpoint", "Endpoint", "text", { hint: "e.g. PJSIP/1001" }),
    f("endpoints", "Other endpoints", "list"),
    f("password", "New password", "password", { hint: "when editing, empty keeps the password" }),
    f("skills", "Skills and levels (1–10)", "levels"),
    f("groups", "Groups", "list"),
    f("sip_user", "Softphone SIP user"),
    f("sip_password", "New softphone SIP password", "password", { hint: "when editing, empty keeps it" }),
    f("auto_answer", "Phone answers by itself", "bool"),
  ], ["id", "name", "endpoint", "skills"]),
  liveconf("groups", "Groups", "name", [f("name", "Name", "id"), f("agents", "Agents", "list")], ["name", "agents"]),
  liveconf("routes", "Routes", "dnis", [
    f("dnis", "Dialled number (or ^pattern)", "id"),
    f("queue", "Queue"),
    f("flow", "Call flow"),
    f("priority", "Priority (1 highest – 9)", "int"),
    f("greeting", "Greeting (sound:…)"),
    f("lookup", "Customer database step (JSON)", "json"),
  ], ["dnis", "queue", "flow", "priority"]),
  liveconf("activities", "Activity codes", "code", [f("code", "Code", "id"), f("name", "Name")], ["code", "name"]),
  liveconf("flows", "Call flows", "name", [
    f("name", "Name", "id"),
    f("description", "Description"),
    f("start", "First node"),
    f("nodes", "Nodes (JSON list)", "json", { rows: 14 }),
  ], ["name", "description", "start"]),
  liveconf("switches", "Switches", "localnumber", [
    f("localnumber", "Local number", "id"),
    f("name", "Name"),
    f("active", "Active", "bool"),
    f("active_goto", "When active: go to"),
    f("inactive_goto", "When inactive: go to"),
  ], ["localnumber", "name", "active"]),
  {
    key: "campaigns", title: "Campaigns", idKey: "campaignId", numericId: true,
    list: "/api/dialer/campaigns", one: (id) => "/api/dialer/campaigns/" + id, create: "POST", post: "/api/dialer/campaigns",
    fields: [
      f("name", "Name"),
      f("queueCode", "Queue"),
      f("mode", "Mode", "select", { options: ["", "preview", "progressive", "power", "predictive"] }),
      f("isActive", "Active", "bool"),
      f("campaignPriority", "Campaign priority", "int"),
      f("callPriority", "Call priority", "int"),
      f("retryNumber", "Retries", "int"),
      f("noAnswerDuration", "No answer after (seconds)", "int"),
      f("dialRatio", "Dial ratio", "float"),
      f("maxDialRatio", "Highest dial ratio", "float"),
      f("maxAbandonRate", "Highest abandon rate (%)", "float"),
      f("callerId", "Caller id"),
      f("windowStart", "Calling window from (HH:MM)"),
      f("windowEnd", "Calling window to (HH:MM)"),
      f("timeZone", "Time zone"),
      f("noRedialHours", "No redial for (hours)", "int"),
      f("scheduleIds", "Schedules (ids)", "intlist"),
      f("retryRules", "Retry rules (JSON list)", "json"),
    ],
    columns: ["campaignId", "name", "queueCode", "mode", "isActive"],
  },
  {
    key: "schedules", title: "Schedules", idKey: "scheduleId", numericId: true, noList: true,
    one: (id) => "/api/dialer/schedules/" + id, create: "POST", post: "/api/dialer/schedules",
    fields: [
      f("scheduleId", "Id of the schedule to replace", "replace", { hint: "empty: a new schedule" }),
      f("scheduleName", "Name"),
      f("fromDateTime", "From (2026-01-01T08:00:00Z)"),
      f("toDateTime", "To"),
      f("isSpecialDays", "Special days (override the week)", "bool"),
      ...["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"].map((d) => f("is" + d, d, "bool")),
    ],
    columns: [],
  },
  {
    key: "webhooks", title: "Webhooks", idKey: "id",
    list: "/api/admin/webhooks", one: (id) => "/api/admin/webhooks/" + encodeURIComponent(id), create: "PUT",
    fields: [
      f("id", "Name", "id"),
      f("url", "URL", "text", { hint: "https://…" }),
      f("format", "Format", "select", { options: ["json", "form", "get"] }),
      // The API gives the secret back as it is: shown hidden, kept unless changed.
      f("secret", "Signing secret", "password", { prefill: true }),
      f("events", "Events (empty: all)", "list"),
      f("enabled", "Enabled", "bool"),
    ],
    columns: ["id", "url", "format", "enabled"],
  },
];

// ---- the REST API with the session ----

async function call(method, path, body, headers = {}) {
  const h = { Accept: "application/json", ...headers };
  if (method !== "GET") h["X-CSRF-Token"] = session.csrf;
  if (body !== undefined) h["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers: h, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  if (r.status !== 204) data = await r.json().catch(() => null);
  if (r.status === 401) location.reload(); // the session expired or ended: the page shows the login
  if (!r.ok) {
    const e = data && data.error ? data.error : { message: r.statusText };
    throw Object.assign(new Error(e.message || r.statusText), { field: e.field, status: r.status, code: e.code });
  }
  return { data, etag: r.headers.get("ETag") };
}

// ---- the view ----

export function showAdmin(s) {
  session = s;
  const section = $("view-admin");
  if (!section.dataset.built) build(section);
  const want = location.hash.split("?")[1];
  const kind = kinds.find((k) => k.key === new URLSearchParams(want || "").get("kind")) || current || kinds[0];
  if (kind !== current) select(kind);
}

function build(section) {
  section.dataset.built = "1";
  const tabs = el("div", { class: "admin-tabs", role: "tablist", "aria-label": "What to administer" });
  for (const k of kinds) {
    tabs.append(el("button", { type: "button", role: "tab", id: "adm-tab-" + k.key, "aria-controls": "adm-panel", "aria-selected": "false",
      class: "tab", text: k.title, onclick: () => select(k) }));
  }
  section.replaceChildren(
    el("h1", { id: "adm-title", text: "Administration" }),
    tabs,
    el("div", { id: "adm-panel", role: "tabpanel", "aria-labelledby": "adm-title" },
      el("div", { class: "admin-head" },
        el("h2", { id: "adm-kind" }),
        el("button", { type: "button", id: "adm-new", text: "New", onclick: () => openForm(current, null) })),
      el("p", { id: "adm-message", class: "message", role: "status", "aria-live": "polite" }),
      el("div", { class: "table-wrap" }, el("table", { class: "agents admin-list", id: "adm-list" })),
      el("form", { id: "adm-form", class: "card admin-form", novalidate: true, hidden: true })));
}

async function select(kind) {
  current = kind;
  for (const k of kinds) $("adm-tab-" + k.key).setAttribute("aria-selected", String(k === kind));
  $("adm-kind").textContent = kind.title;
  $("adm-form").hidden = true;
  $("adm-message").textContent = "";
  await refresh();
  if (kind.noList) openForm(kind, null);
}

function cell(v) {
  if (v === undefined || v === null || v === "") return "–";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return v.length ? v.join(", ") : "–";
  if (typeof v === "object") return !Object.keys(v).length ? "–" :  Object.entries(v).map(([a, b]) => a + " " + b).join(", ");
  return String(v);
}

async function refresh() {
  const kind = current, table = $("adm-list");
  table.hidden = !!kind.noList;
  if (kind.noList) return table.replaceChildren();
  let items;
  try {
    items = (await call("GET", kind.list)).data || [];
  } catch (e) {
    table.replaceChildren();
    $("adm-message").textContent = kind.title + ": " + e.message;
    return;
  }
  if (kind !== current) return;
  table.replaceChildren();
  const label = (key) => (kind.fields.find((x) => x.key === key) || { label: key === kind.idKey ? "Id" : key }).label;
  table.append(el("caption", { class: "visually-hidden", text: kind.title }),
    el("thead", {}, el("tr", {}, ...kind.columns.map((c) => el("th", { scope: "col", text: label(c) })), el("th", { scope: "col", text: "Actions" }))));
  const body = el("tbody", { id: "adm-rows" });
  for (const it of items) {
    const id = String(it[kind.idKey]);
    body.append(el("tr", { "data-id": id },
      ...kind.columns.map((c, i) => el(i ? "td" : "th", { scope: i ? undefined : "row", text: cell(it[c]) })),
      el("td", {}, el("div", { class: "actions" },
        el("button", { type: "button", "data-action": "edit", "aria-label": "Edit " + id, text: "Edit", onclick: () => openForm(kind, id) }),
        el("button", { type: "button", class: "quiet", "data-action": "delete", "aria-label": "Delete " + id, text: "Delete", onclick: () => remove(kind, id) })))));
  }
  if (!items.length) body.append(el("tr", {}, el("td", { colspan: String(kind.columns.length + 1), class: "muted", text: "None yet." })));
  table.append(body);
}

async function remove(kind, id) {
  if (!confirm("Delete " + kind.title.toLowerCase() + " " + id + "?")) return;
  const msg = $("adm-message");
  try {
    const headers = {};
    if (kind.versioned) headers["If-Match"] = (await call("GET", kind.one(id))).etag || "";
    await call("DELETE", kind.one(id), undefined, headers);
    msg.textContent = "Deleted " + id + ".";
    $("adm-form").hidden = true;
  } catch (e) {
    msg.textContent = "Not deleted: " + e.message;
  }
  refresh();
}

// ---- the form ----

const fid = (key) => "adm-f-" + key;

function input(field, value) {
  const id = fid(field.key), described = id + "-error" + (field.hint ? " " + id + "-hint" : "");
  const common = { id, name: field.key, "aria-describedby": described };
  switch (field.type) {
    case "bool":
      return el("input", { ...common, type: "checkbox", checked: !!value });
    case "select": {
      const s = el("select", common, ...field.options.map((o) => el("option", { value: o, text: o || "(default)" })));
      s.value = value ?? "";
      return s;
    }
    case "json":
      return el("textarea", { ...common, rows: String(field.rows || 5), spellcheck: "false", text: value === undefined || value === null ? "" : JSON.stringify(value, null, 2) });
    case "levels":
      return levels(field, value || {});
    case "password":
      return el("input", { ...common, type: "password", autocomplete: "new-password", value: field.prefill && value ? value : "" });
    case "duration":
      return el("input", { ...common, value: !value || value === "0s" ? "" : value, placeholder: "15s" });
    case "replace":
      return el("input", { ...common, inputmode: "numeric", value: "" });
    case "int": case "float":
      return el("input", { ...common, inputmode: field.type === "int" ? "numeric" : "decimal", value: value === undefined || value === null || value === 0 ? "" : String(value) });
    case "list": case "intlist":
      return el("input", { ...common, value: (value || []).join(", ") });
    default:
      return el("input", { ...common, value: value ?? "" });
  }
}

// levels is a small table of names and levels (an agent's skills, a
// queue's required skills): one row each, with a row to add one.
function levels(field, value) {
  const box = el("div", { class: "levels", id: fid(field.key), role: "group", "aria-label": field.label, "aria-describedby": fid(field.key) + "-error" });
  const row = (name = "", level = "") => {
    const r = el("div", { class: "level-row" });
    const n = el("input", { class: "level-name", "aria-label": "Skill", value: name, placeholder: "skill" });
    const l = el("input", { class: "level-value", "aria-label": "Level of " + (name || "the skill"), inputmode: "numeric", value: String(level), placeholder: "1–10", size: "4" });
    r.append(n, l, el("button", { type: "button", class: "quiet", "aria-label": "Remove " + (name || "this skill"), text: "Remove", onclick: () => r.remove() }));
    return r;
  };
  const rows = el("div", { class: "level-rows" }, ...Object.entries(value).map(([n, l]) => row(n, l)));
  box.append(rows, el("button", { type: "button", class: "quiet add", text: "Add skill", onclick: () => { const r = row(); rows.append(r); r.querySelector("input").focus(); } }));
  return box;
}

async function openForm(kind, id) {
  const form = $("adm-form"), msg = $("adm-message");
  let original = {}, etag = "";
  if (id !== null) {
    try {
      const r = await call("GET", kind.one(id));
      original = r.data || {};
      etag = r.etag || "";
    } catch (e) {
      msg.textContent = e.message;
      return;
    }
  }
  editing = { kind, id, etag, original };
  const creating = id === null;
  const title = (creating ? "New " : "Edit ") + kind.title.replace(/s$/, "").toLowerCase() + (creating ? "" : " " + id);
  const rows = [];
  for (const field of kind.fields) {
    if (field.type === "id" && !creating) continue;
    const value = original[field.key];
    const control = input(field, field.type === "id" ? "" : value);
    const label = field.type === "levels" ? el("span", { class: "label", id: fid(field.key) + "-label", text: field.label }) : el("label", { for: fid(field.key), text: field.label });
    rows.push(el("div", { class: "field" + (field.type === "bool" ? " check" : "") + (field.type === "json" ? " wide" : ""), "data-field": field.key },
      label, control,
      field.hint ? el("small", { id: fid(field.key) + "-hint", class: "muted", text: field.hint }) : null,
      el("p", { class: "field-error error", id: fid(field.key) + "-error" })));
  }
  form.replaceChildren(
    el("h3", { id: "adm-form-title", text: title }),
    el("p", { id: "adm-form-error", class: "error", role: "alert" }),
    el("div", { class: "fields" }, ...rows),
    el("div", { class: "buttons" },
      el("button", { type: "submit", id: "adm-save", text: creating ? "Create" : "Save" }),
      el("button", { type: "button", class: "quiet", id: "adm-cancel", text: "Cancel", onclick: () => { form.hidden = true; editing = null; } })));
  form.setAttribute("aria-labelledby", "adm-form-title");
  form.onsubmit = (ev) => { ev.preventDefault(); save(); };
  form.hidden = false;
  const first = form.querySelector(".fields input, .fields select, .fields textarea");
  if (first) first.focus();
}

// read turns the form into the item's JSON: the item as it was read, with
// the form's fields over it (keys the form does not show stay as they
// were). A field that does not parse is reported at the field.
function read(kind, original) {
  const body = structuredClone(original);
  delete body.password; // shown as "(set)": a PUT that names no password keeps it
  if ("sip_password" in body) delete body.sip_password;
  let id = editing.id;
  const bad = [];
  for (const field of kind.fields) {
    const c = $(fid(field.key));
    if (!c) continue;
    const raw = field.type === "bool" || field.type === "levels" ? null : c.value.trim();
    switch (field.type) {
      case "id": id = raw; break;
      case "replace":
        if (raw !== "" && !/^[1-9][0-9]*$/.test(raw)) bad.push([field.key, "want the id of a schedule (a positive whole number)"]);
        else if (raw !== "") id = raw;
        break;
      case "bool": body[field.key] = c.checked; break;
      case "password": if (raw) body[field.key] = raw; else delete body[field.key]; break;
      case "int": case "float": {
        if (raw === "") { delete body[field.key]; break; }
        const n = Number(raw);
        if (!isFinite(n) || (field.type === "int" && !Number.isInteger(n))) bad.push([field.key, "want a " + (field.type === "int" ? "whole " : "") + "number"]);
        else body[field.key] = n;
        break;
      }
      case "list": body[field.key] = raw ? raw.split(",").map((x) => x.trim()).filter(Boolean) : []; break;
      case "intlist": {
        const parts = raw ? raw.split(",").map((x) => x.trim()).filter(Boolean) : [];
        if (parts.some((p) => !/^\d+$/.test(p))) bad.push([field.key, "want ids separated by commas"]);
        else body[field.key] = parts.map(Number);
        break;
      }
      case "json":
        if (raw === "") { delete body[field.key]; break; }
        try { body[field.key] = JSON.parse(raw); } catch (e) { bad.push([field.key, "is not valid JSON: " + e.message]); }
        break;
      case "levels": {
        const m = {};
        for (const r of c.querySelectorAll(".level-row")) {
          const n = r.querySelector(".level-name").value.trim(), l = r.querySelector(".level-value").value.trim();
          if (!n && !l) continue;
          const v = Number(l);
          if (!n) bad.push([field.key, "a level without a skill name"]);
          else if (!Number.isInteger(v)) bad.push([field.key + "." + n, "want a level 1..10"]);
          else m[n] = v;
        }
        body[field.key] = m;
        break;
      }
      default:
        if (raw === "") delete body[field.key]; else body[field.key] = raw;
    }
  }
  if (kind.numericId) for (const k of [kind.idKey]) delete body[k];
  return { id, body, bad };
}

function clearErrors() {
  $("adm-form-error").textContent = "";
  for (const p of document.querySelectorAll("#adm-form .field-error")) p.textContent = "";
  for (const c of document.querySelectorAll("#adm-form [aria-invalid]")) c.removeAttribute("aria-invalid");
}

// fieldError shows an error at the field the API named: "skills.sales",
// "overflow[0].to_queue" and "ring_timeout" belong to their first key.
function fieldError(field, message) {
  const key = String(field || "").split(/[.[]/)[0];
  const box = key && document.querySelector(`#adm-form .field[data-field="${CSS.escape(key)}"]`);
  if (!box) {
    $("adm-form-error").textContent = (field ? field + ": " : "") + message;
    return;
  }
  box.querySelector(".field-error").textContent = (field !== key ? field + ": " : "") + message;
  const c = $(fid(key));
  c.setAttribute("aria-invalid", "true");
  c.focus();
}

async function save() {
  const { kind, original, etag } = editing;
  clearErrors();
  const { id, body, bad } = read(kind, original);
  if (bad.length) {
    for (const [field, message] of bad.reverse()) fieldError(field, message);
    return;
  }
  if (kind.idKey && editing.id === null && kind.create === "PUT" && !id) {
    fieldError(kind.idKey, "is required");
    return;
  }
  const headers = {};
  if (kind.versioned && etag) headers["If-Match"] = etag;
  try {
    let r;
    if (editing.id === null && kind.create === "POST" && !id) r = await call("POST", kind.post, body);
    else r = await call("PUT", kind.one(editing.id ?? id), body, headers);
    const saved = r.data && r.data[kind.idKey] !== undefined ? String(r.data[kind.idKey]) : String(id);
    $("adm-message").textContent = (editing.id === null && !(kind.create === "POST" && id) ? "Created " : "Saved ") + kind.title.replace(/s$/, "").toLowerCase() + " " + saved + ".";
    $("adm-form").hidden = true;
    editing = null;
    refresh();
  } catch (e) {
    if (e.status === 409) {
      const err = $("adm-form-error");
      err.replaceChildren(el("span", { text: "Not saved: " + e.message + " " }),
        el("button", { type: "button", class: "quiet", id: "adm-reload", text: "Reload the item", onclick: () => openForm(kind, editing.id) }));
      return;
    }
    fieldError(e.field, e.message);
  }
}
