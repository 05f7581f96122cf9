// The query page: the builder composes the text form of a query, the console's API answers it,
// and the answer is drawn: a line chart per calculation (a line per group), a heatmap per
// HEATMAP, a table. A table row or a heatmap cell lists its spans; a span opens its trace.
"use strict";

const OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "exists", "does-not-exist", "contains", "does-not-contain",
  "starts-with", "does-not-start-with", "in", "not-in"];
const CLAUSE_WORDS = ["where", "group", "having", "order", "limit", "since", "between", "granularity", "and", "or"];
let fields = {};
let lastText = "";
let lastQuery = null;  // the JSON form of the query on screen, as the API understood it

// --- The builder <-> the text form ---

function quoted(value) {
  const text = String(value);
  if (/^[^\s,()"=<>!]+$/.test(text) && !CLAUSE_WORDS.includes(text.toLowerCase())) return text;
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function addFilter(filter = { field: "", op: "=", value: "" }) {
  const row = document.createElement("div");
  row.className = "filter";
  row.append(
    el("input", { class: "field", list: "field-names", placeholder: "field", size: 18 }), " ",
    el("select", { class: "op" }, OPERATORS.map((op) => el("option", {}, op))), " ",
    el("input", { class: "value", placeholder: "value", size: 18 }),
    el("button", { type: "button", class: "remove", title: "remove" }, "×"),
  );
  row.querySelector(".field").value = filter.field;
  row.querySelector(".op").value = filter.op;
  const value = filter.value === undefined || filter.value === null ? "" : filter.value;
  row.querySelector(".value").value = Array.isArray(value) ? value.join(", ") : value;
  row.querySelector(".remove").onclick = () => { row.remove(); compose(); };
  row.addEventListener("input", compose);
  $("#filters").append(row);
}

function composeText() {
  const parts = [`VISUALIZE ${$("#visualize").value.trim() || "COUNT"}`];
  const conditions = [...document.querySelectorAll("#filters .filter")].map((row) => {
    const field = row.querySelector(".field").value.trim();
    const op = row.querySelector(".op").value;
    const value = row.querySelector(".value").value.trim();
    if (!field) return null;
    if (op === "exists" || op === "does-not-exist") return `${quoted(field)} ${op}`;
    if (op === "in" || op === "not-in") return `${quoted(field)} ${op} (${value.split(",").map((v) => quoted(v.trim())).join(", ")})`;
    return `${quoted(field)} ${op} ${quoted(value)}`;
  }).filter(Boolean);
  if (conditions.length) parts.push(`WHERE ${conditions.join(` ${$("#combine").value} `)}`);
  if ($("#group-by").value.trim()) parts.push(`GROUP BY ${$("#group-by").value.split(",").map((g) => quoted(g.trim())).join(", ")}`);
  if ($("#having").value.trim()) parts.push(`HAVING ${$("#having").value.trim()}`);
  if ($("#order-by").value.trim()) parts.push(`ORDER BY ${$("#order-by").value.trim()}`);
  if ($("#limit").value) parts.push(`LIMIT ${$("#limit").value}`);
  if ($("#since").value === "custom") {
    if ($("#start").value && $("#end").value) parts.push(`BETWEEN ${$("#start").value}Z AND ${$("#end").value}Z`);
  } else {
    parts.push(`SINCE ${$("#since").value}`);
  }
  if ($("#granularity").value) parts.push(`GRANULARITY ${$("#granularity").value}`);
  return parts.join(" ");
}

function compose() { $("#query-text").value = composeText(); }

function duration(seconds) {
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

// Fill the builder from a query the API understood (after running typed text or an example).
function fillBuilder(query) {
  $("#visualize").value = query.calculations.map((c) => (c.field ? `${c.op}(${c.field})` : c.op)).join(", ");
  fill($("#filters"));
  query.filters.forEach(addFilter);
  $("#combine").value = query.combine;
  $("#group-by").value = query.group_by.join(", ");
  $("#having").value = (query.havings || []).map((h) => `${h.key} ${h.op} ${h.value}`).join(" AND ");
  $("#order-by").value = query.order_by.map((o) => `${o.key} ${o.descending ? "DESC" : "ASC"}`).join(", ");
  $("#limit").value = query.limit ?? "";
  const since = query.since_seconds ? duration(query.since_seconds) : null;
  const presets = [...$("#since").options].map((o) => o.value);
  if (query.start && query.end) {
    $("#since").value = "custom";
    $("#start").value = query.start.slice(0, 19);
    $("#end").value = query.end.slice(0, 19);
  } else if (since && presets.includes(since)) {
    $("#since").value = since;
  }
  show($("#custom-range"), $("#since").value === "custom");
  $("#granularity").value = query.granularity_seconds ? duration(query.granularity_seconds) : "";
}

// --- Running a query and drawing the answer ---

async function run(text) {
  say("");
  const current = newest("query");
  try {
    const answer = await api("/api/query", { text });
    if (!current()) return;
    lastText = answer.text;
    lastQuery = answer.query;
    $("#query-text").value = answer.text;
    fillBuilder(answer.query);
    await draw(answer);
    document.body.dataset.drawn = answer.text;  // which query the charts show (the tests wait on it)
    history.replaceState(null, "", `?q=${encodeURIComponent(answer.text)}`);
  } catch (error) {
    if (current()) say(error.message);
  }
}

function groupName(group) {
  const values = Object.values(group);
  return values.length ? values.map((v) => (v === null ? "(none)" : String(v))).join(", ") : "all spans";
}

function draw(answer) {
  const warnings = $("#warnings");
  fill(warnings, answer.warnings.map((w) => el("li", {}, w)));
  show(warnings, answer.warnings.length > 0);
  show($("#results"), true);
  show($("#span-list"), false);
  show($("#bubbleup"), false);
  show($("#trace"), false);
  drawTable(answer);
  // Done when Plotly has drawn every chart.
  return Promise.all([...drawCharts(answer), ...drawHeatmaps(answer)]);
}

function drawCharts(answer) {
  const charts = $("#charts");
  fill(charts);
  const labels = answer.table.columns.slice(answer.query.group_by.length);
  return labels.map((label) => {
    const div = document.createElement("div");
    div.className = "chart line-chart";
    div.dataset.calculation = label;
    charts.append(div);
    const traces = answer.series.map((series, i) => ({
      x: series.times, y: series.values[label], name: plotText(groupName(series.group)), type: "scatter",
      mode: series.times.length > 1 ? "lines+markers" : "markers", line: { color: COLORS[i % COLORS.length], width: 2 },
      marker: { size: 5 },
    }));
    const plotted = Plotly.newPlot(div, traces, {
      title: { text: plotText(label), x: 0.01, font: { size: 14 } }, height: 260, margin: { l: 50, r: 10, t: 36, b: 36 },
      showlegend: answer.series.length > 1, legend: { orientation: "h", y: -0.25 },
      xaxis: { type: "date", range: [answer.range.start, answer.range.end] }, yaxis: { rangemode: "tozero" },
    }, { displaylogo: false, responsive: true });
    // A point of a line lists its group's spans (and so BubbleUp compares that group with the rest).
    div.on("plotly_click", (event) => {
      const group = answer.series[event.points[0].curveNumber].group;
      listSpans(Object.keys(group).length ? { group } : {}, Object.keys(group).length ? `where ${groupName(group)}` : "");
    });
    return plotted;
  });
}

function drawHeatmaps(answer) {
  const box = $("#heatmaps");
  fill(box);
  const drawn = [];
  for (const [label, heatmap] of Object.entries(answer.heatmaps)) {
    const div = document.createElement("div");
    div.className = "chart heatmap";
    div.dataset.calculation = label;
    box.append(div);
    if (!heatmap.total) {
      div.textContent = `${label}: no span in this range has a value`;
      continue;
    }
    const centers = heatmap.edges.slice(0, -1).map((low, i) => Math.sqrt(low * heatmap.edges[i + 1]));
    const field = label.slice(label.indexOf("(") + 1, -1);
    const step = answer.range.granularity_seconds * 1000;
    // Cell edges, not centres: every cell covers exactly its time bucket and value bucket.
    const timeEdges = heatmap.times.map((t) => Date.parse(t));
    timeEdges.push(timeEdges[timeEdges.length - 1] + step);
    drawn.push(Plotly.newPlot(div, [{
      type: "heatmap", x: timeEdges.map((t) => new Date(t).toISOString()), y: heatmap.edges,
      z: heatmap.counts.map((row) => row.map((c) => (c ? c : null))),
      colorscale: "YlOrRd", reversescale: true, hoverongaps: false, xgap: 1, ygap: 1,
      hovertemplate: `%{x}<br>${plotText(field).replace(/%/g, "&#37;")} ≈ %{y:.3g}<br>%{z} spans<extra></extra>`, colorbar: { title: { text: "spans" } },
    }], {
      title: { text: `${plotText(label)} (select a cell, or drag across cells, to list their spans)`, x: 0.01, font: { size: 14 } },
      height: 340, margin: { l: 60, r: 10, t: 36, b: 36 }, dragmode: "select",
      xaxis: { type: "date", range: [answer.range.start, answer.range.end] }, yaxis: { type: "log", title: { text: plotText(field) } },
    }, { displaylogo: false, responsive: true }));
    const bucketOf = (y) => centers.reduce((best, c, i) => (Math.abs(Math.log(c / y)) < Math.abs(Math.log(centers[best] / y)) ? i : best), 0);
    const listCells = (t0, t1, y0, y1) => {
      const low = bucketOf(y0), high = bucketOf(y1);
      listSpans({
        time: [new Date(t0).toISOString(), new Date(t1).toISOString()], field,
        range: [low === 0 ? -1e300 : heatmap.edges[low], heatmap.edges[high + 1]],
      }, `in ${label} between ${fmt(heatmap.edges[low])} and ${fmt(heatmap.edges[high + 1])}`);
    };
    div.on("plotly_click", (event) => {
      const point = event.points[0];
      const [row, column] = point.pointIndex;
      listCells(timeEdges[column], timeEdges[column] + step, centers[row], centers[row]);
    });
    div.on("plotly_selected", (event) => {
      if (!event || !event.range) return;
      const [x0, x1] = event.range.x.map((x) => new Date(x + (String(x).endsWith("Z") ? "" : "Z")).getTime());
      const [y0, y1] = event.range.y.map((y) => 10 ** y);
      listCells(x0, x1, Math.min(y0, y1), Math.max(y0, y1));
    });
  }
  return drawn;
}

function drawTable(answer) {
  const table = $("#result-table");
  fill(table.tHead, el("tr", {}, answer.table.columns.map((c) => el("th", {}, c))));
  const groups = answer.query.group_by;
  fill(table.tBodies[0], answer.table.rows.map((row) => el("tr", {
    onclick: () => {
      const group = Object.fromEntries(groups.map((g, i) => [g, row[i]]));
      listSpans(groups.length ? { group } : {}, groups.length ? `where ${groupName(group)}` : "");
    },
  }, row.map((v, i) => el("td", { class: i < groups.length ? "group" : "number" }, fmt(v))))));
}

let lastNarrow = null;  // the spans listed: a group of the table, or a region of a heatmap
let lastNarrowWhat = "";

async function listSpans(narrow, what) {
  say("");
  lastNarrow = narrow;
  lastNarrowWhat = what;
  const current = newest("spans");
  try {
    // The query's JSON form, not its text: what is listed is exactly what was answered.
    const answer = await api("/api/spans", { query: lastQuery, narrow });
    if (!current()) return;
    $("#span-list-what").textContent = `${what} (${answer.rows.length}${answer.rows.length === 100 ? ", slowest first" : ""})`;
    fill($("#span-list tbody"), answer.rows.map(([time, traceId, , service, name, durationMs, error]) => el("tr",
      { onclick: () => openTrace(traceId) },
      el("td", {}, time.slice(11, 23)), el("td", {}, service), el("td", {}, name),
      el("td", { class: "number" }, durationMs.toFixed(2)), el("td", {}, error ? "error" : ""),
      el("td", {}, el("code", {}, traceId)),
      el("td", { onclick: (e) => e.stopPropagation() },
        el("input", { type: "checkbox", class: "compare-pick", "aria-label": `compare trace ${traceId}`, value: traceId,
          onchange: pickedForComparison })))));
    pickedForComparison();
    show($("#span-list"), true);
    $("#span-list").scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (error) {
    if (current()) say(error.message);
  }
}

// --- BubbleUp: the listed spans against the query's other spans ---

async function bubbleUp() {
  say("");
  const current = newest("bubbleup");
  try {
    const answer = await api("/api/bubbleup", { query: lastQuery, selection: lastNarrow });
    if (!current()) return;
    drawBubbleUp(answer);
  } catch (error) {
    if (current()) say(error.message);
  }
}

function drawBubbleUp(answer) {
  const sampled = answer.baseline_sampled ? `, a sample of ${answer.baseline_sampled.toLocaleString()}` : "";
  $("#bubbleup-what").textContent = `${lastNarrowWhat}: ${answer.selected.toLocaleString()} spans against `
    + `${answer.baseline.toLocaleString()}${sampled}`;
  const box = $("#bubbleup-fields");
  fill(box);
  fill($("#bubbleup-alike"));
  show($("#bubbleup"), true);
  if (!answer.fields.length) {
    box.append(el("p", {}, answer.selected ? "The query has no other spans to compare with." : "No span is selected."));
    return Promise.resolve();
  }
  // The fields that tell the two apart; the others are named in one line.
  const telling = answer.fields.filter((field) => field.score >= 0.05).slice(0, 12);
  const alike = answer.fields.filter((field) => !telling.includes(field)).map((field) => field.field);
  fill($("#bubbleup-alike"), alike.length ? `Alike in both, or past the first 12: ${alike.join(", ")}` : "");
  if (!telling.length) box.append(el("p", {}, "No field tells the selection apart from the baseline."));
  const drawn = telling.map((field) => {
    const div = el("div", { class: "bubble-field", dataset: { field: field.field, score: field.score } });
    box.append(div);
    const labels = field.selection.map((v) => plotText(fmt(v.value)));
    const bar = (side, name, color) => ({
      type: "bar", name, x: labels, y: side.map((v) => v.fraction), marker: { color },
      hovertemplate: `%{x}: %{y:.1%} of the ${name}<extra></extra>`,
    });
    const plotted = Plotly.newPlot(div, [bar(field.selection, "selection", "#f59e0b"), bar(field.baseline, "baseline", "#3b82f6")], {
      title: { text: `${plotText(field.field)} · ${field.score.toFixed(2)}`, x: 0.01, font: { size: 13 } },
      barmode: field.kind === "histogram" ? "overlay" : "group", bargap: field.kind === "histogram" ? 0.05 : 0.2,
      height: 220, margin: { l: 40, r: 10, t: 30, b: 60 }, showlegend: false,
      yaxis: { tickformat: ".0%", rangemode: "tozero" }, xaxis: { type: "category", tickangle: -30, automargin: true },
    }, { displaylogo: false, responsive: true });
    if (field.kind === "values") {
      div.on("plotly_click", (event) => {
        const value = field.selection[event.points[0].pointIndex].value;
        if (value === "(other)") return;
        addFilter(value === "(none)" ? { field: field.field, op: "does-not-exist" } : { field: field.field, op: "=", value });
        run(composeText());
      });
    }
    return plotted;
  });
  $("#bubbleup").scrollIntoView({ behavior: "smooth", block: "start" });
  return Promise.all(drawn).then(() => { document.body.dataset.bubbledUp = String(answer.fields.length); });
}

// --- Two traces side by side ---

function checkedTraces() {
  return [...new Set([...document.querySelectorAll(".compare-pick:checked")].map((box) => box.value))];
}

function pickedForComparison() {
  const picked = checkedTraces();
  $("#compare-checked").disabled = picked.length !== 2;
  $("#compare-checked").textContent = picked.length === 2 ? "Compare the two checked traces"
    : `Compare the two checked traces (${picked.length} checked)`;
}

async function compareTraces(a, b) {
  say("");
  try {
    const answer = await api(`/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    drawComparison(answer);
    history.replaceState(null, "", `?q=${encodeURIComponent(lastText)}&compare=${encodeURIComponent(`${a},${b}`)}`);
  } catch (error) {
    say(error.message);
  }
}

function signed(ms) {
  return ms === null || ms === undefined ? "" : `${ms > 0 ? "+" : ""}${ms.toFixed(2)}`;
}

function drawComparison(answer) {
  $("#compare-a").textContent = answer.a;
  $("#compare-b").textContent = answer.b;
  const label = (row) => `${row.service} ${row.name}`;
  const only = (row) => (row.in === "both" ? "" : row.in === "a" ? " (in A only)" : " (in B only)");
  fill($("#compare-top"), answer.differences.slice(0, 5).map((row) =>
    el("li", {}, el("b", {}, signed(row.self_diff_ms)), " ms of its own time  ", label(row), only(row))));
  const largest = Math.max(...answer.rows.map((row) => Math.abs(row.self_diff_ms)), 0.001);
  fill($("#compare-table").tBodies[0], answer.rows.map((row) => el("tr", { class: `compare-row in-${row.in}` },
    el("td", { style: { paddingLeft: `${0.4 + row.depth * 0.9}rem` } }, el("b", {}, row.service), " ", row.name, only(row)),
    el("td", { class: "number" }, row.a_ms === null ? "—" : row.a_ms.toFixed(2)),
    el("td", { class: "number" }, row.b_ms === null ? "—" : row.b_ms.toFixed(2)),
    el("td", { class: "number" }, signed(row.diff_ms)),
    el("td", { class: "number" }, signed(row.self_diff_ms)),
    el("td", { class: "diff-track" }, el("div", {
      class: row.self_diff_ms >= 0 ? "diff-bar slower" : "diff-bar faster",
      style: { width: `${(Math.abs(row.self_diff_ms) / largest) * 100}%` },
    })))));
  show($("#compare"), true);
  $("#compare").scrollIntoView({ behavior: "smooth", block: "start" });
}

// --- A trace as a waterfall ---

async function openTrace(traceId) {
  say("");
  const current = newest("trace");
  try {
    const trace = await api(`/api/traces/${encodeURIComponent(traceId)}`);
    if (!current()) return;
    drawWaterfall(trace);
    history.replaceState(null, "", `?q=${encodeURIComponent(lastText)}&trace=${encodeURIComponent(traceId)}`);
  } catch (error) {
    if (current()) say(error.message);
  }
}

function drawWaterfall(trace) {
  $("#trace-id").textContent = trace.trace_id;
  $("#jaeger-link").href = safeUrl(trace.jaeger_url);
  // The lab's trace ids are X-Ray's too (the time first): 1-<8 hex>-<24 hex>.
  $("#xray-link").href = `/xray?trace=${encodeURIComponent(`1-${trace.trace_id.slice(0, 8)}-${trace.trace_id.slice(8)}`)}`;
  $("#logs-link").href = `/logs?contains=${encodeURIComponent(trace.trace_id)}`;
  const spans = trace.spans;
  const byId = Object.fromEntries(spans.map((s) => [s["trace.span_id"], s]));
  const children = {};
  const roots = [];
  spans.forEach((s) => {
    const parent = s["trace.parent_id"];
    if (parent && byId[parent]) (children[parent] ||= []).push(s);
    else roots.push(s);
  });
  const start = Math.min(...spans.map((s) => Date.parse(s.timestamp)));
  const end = Math.max(...spans.map((s) => Date.parse(s.timestamp) + s.duration_ms));
  const total = Math.max(end - start, 0.001);
  const services = [...new Set(spans.map((s) => s["service.name"]))];
  const box = $("#waterfall");
  fill(box, el("div", { class: "legend" },
    services.map((s, i) => el("span", {}, el("i", { style: { background: COLORS[i % COLORS.length] } }), s)),
    el("span", {}, el("i", { class: "critical-key" }), "critical path (what set the duration)"),
    el("span", { class: "muted" }, `${spans.length} spans, ${total.toFixed(2)} ms; each: duration · self time`)));
  const visit = (span, depth) => {
    const offset = ((Date.parse(span.timestamp) - start) / total) * 100;
    const width = Math.max((span.duration_ms / total) * 100, 0.3);
    const color = COLORS[services.indexOf(span["service.name"]) % COLORS.length];
    box.append(el("div", {
      class: `span-row${span.error ? " error" : ""}${span.critical ? " critical" : ""}`, role: "listitem",
      dataset: { spanId: span["trace.span_id"] },
      onclick: () => showSpan(span),
    },
    el("div", { class: "span-label", style: { paddingLeft: `${depth * 14}px` }, title: span.name },
      el("b", {}, span["service.name"]), " ", span.name),
    el("div", { class: "span-track" },
      el("div", { class: "span-bar", style: { left: `${offset}%`, width: `${width}%`, background: color } }),
      el("span", { class: "span-time", style: { left: `${Math.min(offset + width, 88)}%` } }, `${span.duration_ms.toFixed(2)} ms · ${(span.self_ms ?? 0).toFixed(2)}`))));
    (children[span["trace.span_id"]] || []).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp)).forEach((c) => visit(c, depth + 1));
  };
  roots.forEach((r) => visit(r, 0));
  fill($("#span-detail"));
  show($("#trace"), true);
  $("#trace").scrollIntoView({ behavior: "smooth", block: "start" });
}

function showSpan(span) {
  fill($("#span-detail"), el("h3", {}, span.name),
    el("table", { class: "attributes" }, Object.entries(span).map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, fmt(v))))));
}

// --- Start ---

async function start() {
  try {
    const catalogue = await api("/api/fields");
    fields = catalogue.fields;
    const capped = Object.entries(catalogue.capped || {});
    $("#store-size").textContent = `${catalogue.spans.toLocaleString()} spans stored`
      + (capped.length ? ` · capped since start: ${capped.map(([what, n]) => `${n.toLocaleString()} ${what}`).join(", ")}` : "");
    document.body.append(el("datalist", { id: "field-names" }, Object.keys(fields).map((f) => el("option", { value: f }))));
  } catch (error) {
    say(`The span store does not answer: ${error.message}`);
  }
  document.querySelectorAll("[data-example]").forEach((button) => { button.onclick = () => run(button.dataset.example); });
  $("#add-filter").onclick = () => { addFilter(); compose(); };
  $("#run").onclick = () => run(composeText());
  $("#run-text").onclick = () => run($("#query-text").value);
  $("#query-text").addEventListener("keydown", (e) => { if (e.key === "Enter") run($("#query-text").value); });
  $("#since").onchange = () => { show($("#custom-range"), $("#since").value === "custom"); compose(); };
  document.querySelectorAll("#builder input, #builder select").forEach((el) => el.addEventListener("input", compose));
  const params = new URLSearchParams(location.search);
  await run(params.get("q") || "VISUALIZE COUNT, P90(duration_ms) GROUP BY service.name SINCE 1h");
  if (params.get("trace")) openTrace(params.get("trace"));
  if (params.get("compare")) compareTraces(...params.get("compare").split(",", 2));
  $("#compare-checked").onclick = () => compareTraces(...checkedTraces());
  $("#bubbleup-run").onclick = bubbleUp;
  $("#compare-run").onclick = () => compareTraces($("#trace-id").textContent, $("#compare-with").value.trim());
}

start();
