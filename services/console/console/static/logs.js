// The CloudWatch Logs page: groups, streams, events with a filter pattern and a time range, and
// a live tail; and a Logs Insights tab: a query, its table, and a chart when it groups (lines by
// bin(), bars by fields). A request line's trace ids link to the trace in the console's
// waterfall, in X-Ray's timeline and in Jaeger.
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
  const current = newest("events");
  try {
    const answer = await api(query());
    if (!current()) return;
    addEvents(answer.events.slice().reverse(), false);
    if (answer.truncated) say("Only the latest 500 events are shown: narrow the time range or the filter.");
  } catch (error) {
    if (current()) say(error.message);
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

// --- Logs Insights ---

const MAX_SERIES = 12;

function insightsUrl() {
  return `/api/logs/insights?minutes=${encodeURIComponent($("#minutes").value)}`;
}

async function runInsights() {
  say("");
  document.body.dataset.idle = "false";
  const text = $("#insights-query").value;
  history.replaceState(null, "", `?tab=insights&q=${encodeURIComponent(text)}`);
  $("#insights-stats").textContent = "running…";
  const current = newest("insights");
  try {
    const answer = await api(insightsUrl(), { query: text, groups: [$("#group").value] });
    if (!current()) return;
    const s = answer.statistics || {};
    $("#insights-stats").textContent = `${answer.status}: ${answer.rows.length} rows; ${fmt(s.recordsMatched || 0)} records matched `
      + `of ${fmt(s.recordsScanned || 0)} scanned (${fmt((s.bytesScanned || 0) / 1024)} KiB)`;
    drawInsightsTable(answer);
    await drawInsightsChart(answer);
  } catch (error) {
    if (!current()) return;
    $("#insights-stats").textContent = "";
    say(error.message);
    const where = error.location;
    if (where) {  // the offending characters of a malformed query, selected
      $("#insights-query").focus();
      $("#insights-query").setSelectionRange(where.startCharOffset, Math.max(where.endCharOffset, where.startCharOffset + 1));
    }
  } finally {
    if (current()) document.body.dataset.idle = "true";
  }
}

function drawInsightsTable(answer) {
  const withTrace = answer.rows.some((row) => row.otel_trace_id || row.xray_trace_id);
  // Numeric columns (every value a number) right-aligned, headers too.
  const numeric = answer.columns.map((c) => answer.rows.some((r) => r[c] !== undefined)
    && answer.rows.every((r) => r[c] === undefined || (r[c].trim() !== "" && !isNaN(Number(r[c])))));
  fill($("#insights-results thead"), el("tr", {}, answer.columns.map((c, i) => el("th", { class: numeric[i] ? "number" : "" }, c)),
    withTrace && el("th", {}, "trace")));
  fill($("#insights-results tbody"), answer.rows.map((row, i) => {
    const pointer = answer.pointers[i];
    return el("tr", pointer ? { dataset: { pointer }, onclick: () => showRecord(pointer), title: "show the whole log record" } : {},
      answer.columns.map((c, j) => el("td", { class: numeric[j] ? "number" : "" }, row[c] ?? "")),
      withTrace && el("td", {}, traceLinks(row)));
  }));
  show($("#insights-record"), false);
  show($("#insights-record-title"), false);
}

async function showRecord(pointer) {
  try {
    const record = await api(`/api/logs/records/${encodeURIComponent(pointer)}`);
    $("#insights-record").textContent = JSON.stringify(record, null, 2);
    show($("#insights-record"), true);
    show($("#insights-record-title"), true);
  } catch (error) {
    say(error.message);
  }
}

// One trace per value of the series fields (and per aggregate): lines over bin()'s times, or bars.
function chartTraces(answer) {
  const { kind, x, y, series } = answer.chart;
  const groups = new Map();
  answer.rows.forEach((row) => {
    const label = series.map((f) => row[f] ?? "(none)").join(" · ");
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(row);
  });
  const traces = [];
  const period = binPeriod(answer.rows.map((r) => r[x]));
  [...groups].forEach(([label, rows]) => y.forEach((field) => {
    const name = [label, y.length > 1 ? field : ""].filter(Boolean).join(" · ") || field;
    const color = COLORS[traces.length % COLORS.length];
    if (kind === "line") {
      traces.push({ type: "scatter", mode: "lines+markers", name, marker: { color }, ...brokenAtGaps(rows, x, field, period) });
    } else {
      traces.push({ type: "bar", name, marker: { color }, x: rows.map((r) => plotText(r[x] ?? "(none)")), y: rows.map((r) => Number(r[field])) });
    }
  }));
  return traces.slice(0, MAX_SERIES);
}

const millis = (text) => Date.parse(String(text).replace(" ", "T") + "Z");

// bin()'s period: the smallest step between two of its times.
function binPeriod(times) {
  const sorted = [...new Set(times.map(millis))].sort((a, b) => a - b);
  return sorted.slice(1).reduce((least, t, i) => Math.min(least, t - sorted[i]), Infinity);
}

// A line's points in time order, broken (a null) where bins had no event: no line drawn across a gap.
function brokenAtGaps(rows, x, field, period) {
  const points = rows.map((r) => [millis(r[x]), Number(r[field])]).sort((a, b) => a[0] - b[0]);
  const xs = [], ys = [];
  points.forEach(([t, value], i) => {
    if (i && t - points[i - 1][0] > period) { xs.push(new Date(points[i - 1][0] + period).toISOString()); ys.push(null); }
    xs.push(new Date(t).toISOString());
    ys.push(value);
  });
  return { x: xs, y: ys, connectgaps: false };
}

async function drawInsightsChart(answer) {
  const div = $("#insights-chart");
  show(div, Boolean(answer.chart));
  if (!answer.chart) return Plotly.purge(div);
  const traces = chartTraces(answer);
  await Plotly.newPlot(div, traces, {
    height: 300, margin: { t: 30, r: 10, b: 60, l: 60 }, barmode: "group", showlegend: true,
    title: { text: plotText(`${answer.chart.y.join(", ")} by ${[answer.chart.x, ...answer.chart.series].join(", ")}`
      + (traces.length === MAX_SERIES ? ` (the first ${MAX_SERIES} series)` : "")), font: { size: 13 } },
    // Lines span the whole time range asked (one bin alone would otherwise fill the axis), from 0 up.
    xaxis: answer.chart.kind === "line"
      ? { type: "date", range: [new Date(Date.now() - Number($("#minutes").value) * 60000).toISOString(), new Date().toISOString()] }
      : { type: "category", automargin: true },
    yaxis: { rangemode: "tozero" },
  }, { displayModeBar: false, responsive: true });
}

async function loadExamples() {
  const answer = await api("/api/logs/insights/examples");
  fill($("#insights-examples"), answer.examples.map((e) => el("button", { type: "button", onclick: () => {
    $("#insights-query").value = e.query;
    runInsights();
  } }, e.name)));
}

function showTab(name) {
  ["events", "insights"].forEach((tab) => {
    show($(`#${tab}-tab`), tab === name);
    $(`#tab-${tab}`).setAttribute("aria-selected", String(tab === name));
  });
  if (name === "insights") history.replaceState(null, "", `?tab=insights&q=${encodeURIComponent($("#insights-query").value)}`);
  else history.replaceState(null, "", location.pathname);
}

async function start() {
  jaeger = (await api("/api/config")).jaeger_url;
  const params = new URLSearchParams(location.search);
  $("#contains").value = params.get("contains") || "";
  $("#search").onclick = search;
  $("#group").onchange = loadGroups;
  $("#tail").onchange = tail;
  $("#insights-run").onclick = runInsights;
  $("#insights-query").onkeydown = (event) => { if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) runInsights(); };
  document.querySelectorAll(".tabs button").forEach((b) => { b.onclick = () => showTab(b.dataset.tab); });
  if (params.get("q")) $("#insights-query").value = params.get("q");
  await loadExamples().catch((error) => say(error.message));
  await loadGroups();
  if (params.get("tab") === "insights") {
    showTab("insights");
    await runInsights();
  }
}

start();
