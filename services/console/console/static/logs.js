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
  const links = [];
  if (fields.otel_trace_id) {
    links.push(`<a class="to-console" href="/?trace=${fields.otel_trace_id}">spans</a>`);
    links.push(`<a class="to-jaeger" target="_blank" rel="noopener" href="${jaeger}/trace/${fields.otel_trace_id}">Jaeger</a>`);
  }
  // The OpenTelemetry path's segments are in X-Ray under the same id (the lab's ids are X-Ray's);
  // the X-Ray SDK's segments under xray_trace_id, when it sampled the request.
  const xray = fields.xray_trace_id
    || (fields.otel_trace_id ? `1-${fields.otel_trace_id.slice(0, 8)}-${fields.otel_trace_id.slice(8)}` : null);
  if (xray) links.push(`<a class="to-xray" href="/xray?trace=${encodeURIComponent(xray)}">X-Ray</a>`);
  return `${links.join(" · ")}<br><code>${escapeHtml(fields.otel_trace_id || "")}</code>`;
}

function addEvents(events, newestFirst) {
  const body = $("#events tbody");
  events.forEach((event) => {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    const f = event.fields || {};
    const tr = document.createElement("tr");
    tr.dataset.otelTraceId = f.otel_trace_id || "";
    tr.title = event.message;
    tr.innerHTML = event.fields
      ? `<td>${escapeHtml(event.time.slice(11, 23))}</td><td>${escapeHtml(f.service || "")}</td><td>${escapeHtml(`${f.method || ""} ${f.path || ""}`)}</td>
         <td class="${f.status >= 500 ? "bad" : ""}">${escapeHtml(String(f.status ?? ""))}</td><td class="number">${typeof f.duration_ms === "number" ? f.duration_ms.toFixed(2) : ""}</td>
         <td>${traceLinks(f)}</td>`
      : `<td>${escapeHtml(event.time.slice(11, 23))}</td><td colspan="5"><code>${escapeHtml(event.message)}</code></td>`;
    if (newestFirst) body.prepend(tr); else body.append(tr);
  });
  $("#event-count").textContent = `(${body.rows.length}${$("#tail").checked ? ", live" : ""})`;
}

async function search() {
  say("");
  seen = new Set();
  $("#events tbody").innerHTML = "";
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
    $("#group").innerHTML = answer.groups.map((g) => `<option>${escapeHtml(g.name)}</option>`).join("");
    if (!answer.groups.length) return say("No log group yet.");
    const streams = await api(`/api/logs/groups/${encodeURIComponent($("#group").value)}/streams`);
    $("#stream").innerHTML = `<option value="">all streams</option>${streams.streams.map((s) => `<option>${escapeHtml(s)}</option>`).join("")}`;
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
