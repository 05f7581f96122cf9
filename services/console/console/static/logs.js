// The CloudWatch Logs page: groups, streams, events with a filter pattern and a time range, and
// a live tail. A request line's trace ids link to the trace in the console's waterfall, in
// X-Ray's timeline and in Jaeger.
"use strict";

let jaeger = "";
let tailTimer = null;
let seen = new Set();

function query(extra = {}) {
  const params = new URLSearchParams({ minutes: $("#minutes").value, ...extra });
  if ($("#pattern").value.trim()) params.set("pattern", $("#pattern").value.trim());
  if ($("#contains").value.trim()) params.set("contains", $("#contains").value.trim());
  if ($("#stream").value) params.set("stream", $("#stream").value);
  return `/api/logs/groups/${encodeURIComponent($("#group").value)}/events?${params}`;
}

function traceLinks(fields) {
  // A log line is anyone's text: its ids are strings of any content until proven otherwise.
  const otelId = typeof fields.otel_trace_id === "string" ? fields.otel_trace_id : "";
  const links = [];
  if (otelId) {
    links.push(el("a", { class: "to-console", href: `/?trace=${encodeURIComponent(otelId)}` }, "spans"));
    links.push(el("a", { class: "to-jaeger", target: "_blank", rel: "noopener",
                         href: `${safeUrl(jaeger)}/trace/${encodeURIComponent(otelId)}` }, "Jaeger"));
  }
  // The OpenTelemetry path's segments are in X-Ray under the same id (the lab's ids are X-Ray's);
  // the X-Ray SDK's segments under xray_trace_id, when it sampled the request.
  const xray = (typeof fields.xray_trace_id === "string" && fields.xray_trace_id)
    || (otelId ? `1-${otelId.slice(0, 8)}-${otelId.slice(8)}` : null);
  if (xray) links.push(el("a", { class: "to-xray", href: `/xray?trace=${encodeURIComponent(xray)}` }, "X-Ray"));
  return [links.flatMap((link, i) => (i ? [" · ", link] : [link])), el("br"), el("code", {}, otelId)];
}

function addEvents(events, newestFirst) {
  const body = $("#events tbody");
  events.forEach((event) => {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    const f = event.fields || {};
    const time = el("td", {}, event.time.slice(11, 23));
    const tr = el("tr", { title: event.message, dataset: { otelTraceId: String(f.otel_trace_id || "") } }, event.fields
      ? [time, el("td", {}, String(f.service || "")), el("td", {}, `${f.method || ""} ${f.path || ""}`),
         el("td", { class: f.status >= 500 ? "bad" : "" }, String(f.status ?? "")),
         el("td", { class: "number" }, typeof f.duration_ms === "number" ? f.duration_ms.toFixed(2) : ""),
         el("td", {}, traceLinks(f))]
      : [time, el("td", { colspan: 5 }, el("code", {}, event.message))]);
    if (newestFirst) body.prepend(tr); else body.append(tr);
  });
  $("#event-count").textContent = `(${body.rows.length}${$("#tail").checked ? ", live" : ""})`;
}

async function search() {
  say("");
  seen = new Set();
  fill($("#events tbody"));
  try {
    const answer = await api(query());
    addEvents(answer.events.slice().reverse(), false);
    if (answer.truncated) say("Only the latest 500 events are shown: narrow the time range or the filter.");
  } catch (error) {
    say(error.message);
  }
}

async function tail() {
  clearTimeout(tailTimer);
  if (!$("#tail").checked) return;
  try {
    const answer = await api(query({ minutes: "1" }));
    addEvents(answer.events, true);
    say("");
  } catch (error) {
    say(error.message);
  }
  tailTimer = setTimeout(tail, 2000);
}

async function loadGroups() {
  try {
    const answer = await api("/api/logs/groups");
    fill($("#group"), answer.groups.map((g) => el("option", {}, g.name)));
    if (!answer.groups.length) return say("No log group yet.");
    const streams = await api(`/api/logs/groups/${encodeURIComponent($("#group").value)}/streams`);
    fill($("#stream"), el("option", { value: "" }, "all streams"), streams.streams.map((s) => el("option", {}, s)));
    await search();
  } catch (error) {
    say(error.message);
    if (/LocalStack does not answer/.test(error.message)) setTimeout(loadGroups, 5000);
  }
}

async function start() {
  jaeger = (await api("/api/config")).jaeger_url;
  const params = new URLSearchParams(location.search);
  $("#contains").value = params.get("contains") || "";
  $("#search").onclick = search;
  $("#group").onchange = loadGroups;
  $("#tail").onchange = tail;
  await loadGroups();
}

start();
