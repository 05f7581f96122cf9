// The X-Ray page: the service map (GetServiceGraph), traces (GetTraceSummaries with a filter
// expression, groups as ready filters), a trace's timeline (BatchGetTraces) with each segment
// marked by the tracer that sent it, and sampling rules with what the clients reported.
"use strict";

const OUTCOMES = [["ok", "#16a34a"], ["error", "#f59e0b"], ["fault", "#dc2626"], ["throttle", "#7c3aed"]];
let retry = null;
let latest = 0;  // the last operation started owns the message line

function minutes() { return $("#minutes").value; }

async function load(what) {
  clearTimeout(retry);
  const mine = ++latest;
  try {
    await what();
    if (mine === latest) say("");
  } catch (error) {
    if (mine !== latest) return;
    say(error.message);
    // LocalStack away: try again until it answers.
    if (/LocalStack does not answer/.test(error.message)) retry = setTimeout(() => load(what), 5000);
  } finally {
    if (mine === latest) document.body.dataset.idle = "true";
  }
}

// --- The service map ---

function outcomes(stats) {
  if (!stats) return null;
  const errors = stats.ErrorStatistics || {}, faults = stats.FaultStatistics || {};
  return { ok: stats.OkCount || 0, error: errors.OtherCount || 0, fault: faults.TotalCount || 0, throttle: errors.ThrottleCount || 0,
           total: stats.TotalCount || 0, time: stats.TotalResponseTime || 0 };
}

function arc(cx, cy, r, from, to) {
  const a0 = 2 * Math.PI * from - Math.PI / 2, a1 = 2 * Math.PI * to - Math.PI / 2;
  const large = to - from > 0.5 ? 1 : 0;
  return `M ${cx + r * Math.cos(a0)} ${cy + r * Math.sin(a0)} A ${r} ${r} 0 ${large} 1 ${cx + r * Math.cos(a1)} ${cy + r * Math.sin(a1)}`;
}

function drawMap(services) {
  const svg = $("#service-map");
  const byRef = Object.fromEntries(services.map((s) => [s.ReferenceId, s]));
  const depth = {};
  const visit = (service, d) => {
    if (depth[service.ReferenceId] !== undefined && depth[service.ReferenceId] >= d) return;
    depth[service.ReferenceId] = d;
    (service.Edges || []).forEach((e) => byRef[e.ReferenceId] && visit(byRef[e.ReferenceId], d + 1));
  };
  services.filter((s) => s.Type === "client" || s.Root).forEach((s) => visit(s, s.Type === "client" ? 0 : 1));
  services.forEach((s) => { if (depth[s.ReferenceId] === undefined) visit(s, 1); });
  const columns = {};
  services.forEach((s) => (columns[depth[s.ReferenceId]] ||= []).push(s));
  const width = svg.clientWidth || 1000, levels = Object.keys(columns).length || 1;
  const position = {};
  Object.entries(columns).forEach(([d, list]) => list.forEach((s, i) => {
    position[s.ReferenceId] = [80 + (Number(d) * (width - 160)) / Math.max(levels - 1, 1), 60 + ((i + 0.5) * 220) / list.length];
  }));
  const parts = [el("defs", {}, el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto" },
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#94a3b8" })))];
  services.forEach((s) => (s.Edges || []).forEach((e) => {
    const [x0, y0] = position[s.ReferenceId], [x1, y1] = position[e.ReferenceId] || [x0, y0];
    const count = (e.SummaryStatistics || {}).TotalCount || 0;
    const callee = byRef[e.ReferenceId];
    const source = String(s.Name), target = callee ? String(callee.Name) : "";
    parts.push(el("g", {
      class: "edge", dataset: { source, target, count },
      onclick: () => findTraces(source === "client" ? `service(${quote(target)})` : `edge(${quote(source)}, ${quote(target)})`),
    },
    el("line", { x1: x0 + 34, y1: y0, x2: x1 - 36, y2: y1, stroke: "#94a3b8", "stroke-width": 1.5 + Math.min(count, 200) / 40, "marker-end": "url(#arrow)" }),
    el("text", { x: (x0 + x1) / 2, y: (y0 + y1) / 2 - 8, "text-anchor": "middle", class: "edge-label" }, `${count} req`)));
  }));
  services.forEach((s) => {
    const [x, y] = position[s.ReferenceId];
    const o = outcomes(s.SummaryStatistics);
    const rings = [el("circle", { cx: x, cy: y, r: 30, fill: "#fff", stroke: "#cbd5e1", "stroke-width": 6 })];
    if (o && o.total) {
      let from = 0;
      OUTCOMES.forEach(([name, color]) => {
        const share = o[name] / o.total;
        if (share > 0) rings.push(share >= 0.999 ? el("circle", { cx: x, cy: y, r: 30, fill: "none", stroke: color, "stroke-width": 6 })
                                                 : el("path", { d: arc(x, y, 30, from, from + share), fill: "none", stroke: color, "stroke-width": 6 }));
        from += share;
      });
    }
    const name = String(s.Name), type = String(s.Type || "");
    const average = o && o.total ? `${((o.time / o.total) * 1000).toFixed(1)} ms · ${o.total} req` : type;
    parts.push(el("g", {
      class: "node", dataset: { name, type, total: o ? o.total : "", faults: o ? o.fault : "", errors: o ? o.error : "" },
      onclick: () => { if (type !== "client") findTraces(`service(${quote(name)})`); },
    }, el("title", {}, name), rings,
    el("text", { x, y: y + 4, "text-anchor": "middle", class: "node-type" }, type === "client" ? "client" : type.replace("AWS::", "")),
    // Long names would run into their neighbours: the whole name is the node's tooltip.
    el("text", { x, y: y + 50, "text-anchor": "middle", class: "node-name" }, name.length > 30 ? `${name.slice(0, 29)}…` : name),
    el("text", { x, y: y + 66, "text-anchor": "middle", class: "node-stats" }, average)));
  });
  parts.push(el("g", { transform: "translate(10, 285)" }, OUTCOMES.map(([n, c], i) => [
    el("rect", { x: i * 90, y: -9, width: 10, height: 10, fill: c }), el("text", { x: i * 90 + 14, y: 0, class: "legend-text" }, n)])));
  fill(svg, services.length ? parts : el("text", { x: 20, y: 40 }, `No traces in this time range${$("#group").value ? " and group" : ""}.`));
}

// A string in a filter expression: quoted, its quotes and backslashes escaped.
function quote(text) {
  return `"${String(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

async function loadMap() {
  const group = $("#group").value;
  const current = newest("map");
  const answer = await api(`/api/xray/service-graph?minutes=${minutes()}${group ? `&group=${encodeURIComponent(group)}` : ""}`);
  if (!current()) return;
  drawMap(answer.services);
}

// --- Traces ---

async function findTraces(expression) {
  document.body.dataset.idle = "false";
  if (expression !== undefined) $("#filter").value = expression;
  const filter = $("#filter").value.trim();
  const current = newest("traces");
  await load(async () => {
    const answer = await api(`/api/xray/traces?minutes=${minutes()}${filter ? `&filter=${encodeURIComponent(filter)}` : ""}`);
    if (!current()) return;
    const shown = answer.truncated
      ? `The first ${answer.summaries.length} traces that match${filter ? ` ${filter}` : ""} (of ${answer.processed} in the time range); the list stops at ${answer.limit}: narrow the time range or the filter to see the rest`
      : `${answer.summaries.length} traces match${filter ? ` ${filter}` : ""} (of ${answer.processed} in the time range)`;
    $("#trace-count").textContent = shown;
    fill($("#traces tbody"), answer.summaries.map((t) => {
      const http = t.Http || {};
      const flags = [t.HasFault && "fault", t.HasError && "error", t.HasThrottle && "throttle"].filter(Boolean).join(" ");
      return el("tr", { dataset: { traceId: t.Id }, onclick: () => openTrace(t.Id) },
        el("td", {}, String(t.StartTime || "").slice(11, 19)), el("td", {}, el("code", {}, t.Id)),
        el("td", { class: "number" }, ((t.ResponseTime || 0) * 1000).toFixed(1)),
        el("td", {}, `${http.HttpMethod || ""} ${http.HttpURL || ""}`),
        el("td", { class: flags ? "bad" : "" }, `${http.HttpStatus || ""} ${flags}`),
        el("td", {}, (t.ServiceIds || []).map((s) => s.Name).join(", ")));
    }));
    history.replaceState(null, "", `?filter=${encodeURIComponent(filter)}`);
  });
}

// --- A trace's timeline ---

function subsegments(entity) { return Array.isArray(entity.subsegments) ? entity.subsegments : []; }

async function openTrace(traceId) {
  const current = newest("timeline");
  await load(async () => {
    const trace = await api(`/api/xray/traces/${encodeURIComponent(traceId)}`);
    if (!current()) return;
    const otelId = traceId.replace(/^1-/, "").replace("-", "");
    $("#timeline-id").textContent = traceId;
    $("#to-console").href = `/?trace=${encodeURIComponent(otelId)}`;
    $("#to-jaeger").href = `${safeUrl((await api("/api/config")).jaeger_url)}/trace/${encodeURIComponent(otelId)}`;
    $("#to-logs").href = `/logs?contains=${encodeURIComponent(traceId)}`;
    drawTimeline(trace.segments);
    show($("#timeline-section"), true);
    $("#timeline-section").scrollIntoView({ behavior: "smooth", block: "start" });
  });
}

function drawTimeline(segments) {
  const entities = [];
  const all = (e) => { entities.push(e); subsegments(e).forEach(all); };
  segments.forEach(all);
  const start = Math.min(...entities.map((e) => e.start_time));
  const end = Math.max(...entities.map((e) => e.end_time || e.start_time));
  const total = Math.max(end - start, 1e-6);
  // Segments nested under the subsegment that called them (parent_id), tracer by tracer.
  const childrenOf = {};
  const ids = new Set(entities.map((e) => e.id));
  const roots = [];
  segments.forEach((s) => (s.parent_id && ids.has(s.parent_id) ? (childrenOf[s.parent_id] ||= []).push(s) : roots.push(s)));
  const box = fill($("#timeline"));
  const row = (entity, depth, tracer) => {
    const isSegment = entity.sent_by !== undefined;
    const offset = ((entity.start_time - start) / total) * 100;
    const width = Math.max((((entity.end_time || entity.start_time) - entity.start_time) / total) * 100, 0.3);
    const flags = ["fault", "error", "throttle"].filter((f) => entity[f] === true);
    const color = flags.includes("fault") ? "#dc2626" : flags.includes("error") ? "#f59e0b" : tracer === "OpenTelemetry" ? "#6366f1" : "#0ea5e9";
    const name = String(entity.name);
    const onclick = () => {
      const detail = { annotations: entity.annotations, metadata: entity.metadata, http: entity.http, cause: entity.cause };
      $("#entity-detail").textContent = `${name}\n${JSON.stringify(detail, null, 2)}`;
    };
    box.append(el("div", { class: `span-row${isSegment ? " segment" : ""}`, role: "listitem", dataset: { tracer, name }, onclick },
      el("div", { class: "span-label", style: { paddingLeft: `${depth * 14}px` } },
        isSegment ? [el("span", { class: "badge" }, tracer), " ", el("b", {}, name)] : name,
        entity.namespace === "remote" ? " (remote)" : "", ` ${flags.join(" ")}`),
      el("div", { class: "span-track" },
        el("div", { class: "span-bar", style: { left: `${offset}%`, width: `${width}%`, background: color } }),
        el("span", { class: "span-time", style: { left: `${Math.min(offset + width, 88)}%` } },
          `${(((entity.end_time || entity.start_time) - entity.start_time) * 1000).toFixed(2)} ms`))));
    subsegments(entity).forEach((sub) => {
      row(sub, depth + 1, tracer);
      (childrenOf[sub.id] || []).forEach((s) => row(s, depth + 2, s.sent_by));
    });
  };
  roots.sort((a, b) => a.sent_by.localeCompare(b.sent_by) || a.start_time - b.start_time).forEach((s) => row(s, 0, s.sent_by));
  $("#entity-detail").textContent = "Select a segment or subsegment for its annotations and metadata.";
}

// --- Groups and sampling ---

async function loadGroups() {
  const answer = await api("/api/xray/groups");
  const select = $("#group"), chosen = select.value;
  fill(select, el("option", { value: "" }, "all traces"),
    answer.groups.filter((g) => g.GroupName !== "Default").map((g) => el("option", {}, g.GroupName)));
  select.value = chosen;
  fill($("#group-filters"), el("span", { class: "muted" }, "Groups:"), answer.groups.filter((g) => g.FilterExpression).map((g) =>
    el("button", { type: "button", dataset: { group: g.GroupName }, title: g.FilterExpression,
                   onclick: () => findTraces(`group.name = ${quote(g.GroupName)}`) }, `${g.GroupName}: ${g.FilterExpression}`)));
}

async function loadSampling() {
  const answer = await api("/api/xray/sampling");
  const number = (value) => el("td", { class: "number" }, value);
  fill($("#rules tbody"), answer.rules.map(({ SamplingRule: r }) => el("tr", {}, el("td", {}, r.RuleName), number(r.Priority),
    number(r.ReservoirSize), number(r.FixedRate), el("td", {}, r.ServiceName), el("td", {}, r.HTTPMethod), el("td", {}, r.URLPath))));
  fill($("#statistics tbody"), answer.statistics.length
    ? answer.statistics.map((s) => el("tr", {}, el("td", {}, s.RuleName), el("td", {}, String(s.Timestamp || "").slice(11, 19)),
      number(s.RequestCount), number(s.SampledCount), number(s.BorrowCount)))
    : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No client reported yet.")));
}

function refresh() {
  load(async () => {
    await loadGroups();
    await loadMap();
    await loadSampling();
    await findTraces();
  });
}

$("#refresh").onclick = refresh;
$("#minutes").onchange = refresh;
$("#group").onchange = () => load(loadMap);
$("#find").onclick = () => findTraces();
$("#filter").addEventListener("keydown", (e) => { if (e.key === "Enter") findTraces(); });
const params = new URLSearchParams(location.search);
$("#filter").value = params.get("filter") || "";
refresh();
if (params.get("trace")) openTrace(params.get("trace"));
