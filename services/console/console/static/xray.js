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
  let html = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">
    <path d="M0,0 L10,5 L0,10 z" fill="#94a3b8"/></marker></defs>`;
  services.forEach((s) => (s.Edges || []).forEach((e) => {
    const [x0, y0] = position[s.ReferenceId], [x1, y1] = position[e.ReferenceId] || [x0, y0];
    const count = (e.SummaryStatistics || {}).TotalCount || 0;
    const callee = byRef[e.ReferenceId];
    html += `<g class="edge" data-source="${escapeHtml(s.Name)}" data-target="${escapeHtml(callee ? callee.Name : "")}" data-count="${count}">
      <line x1="${x0 + 34}" y1="${y0}" x2="${x1 - 36}" y2="${y1}" stroke="#94a3b8" stroke-width="${1.5 + Math.min(count, 200) / 40}" marker-end="url(#arrow)"/>
      <text x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2 - 8}" text-anchor="middle" class="edge-label">${count} req</text></g>`;
  }));
  services.forEach((s) => {
    const [x, y] = position[s.ReferenceId];
    const o = outcomes(s.SummaryStatistics);
    let rings = `<circle cx="${x}" cy="${y}" r="30" fill="#fff" stroke="#cbd5e1" stroke-width="6"/>`;
    if (o && o.total) {
      let from = 0;
      OUTCOMES.forEach(([name, color]) => {
        const share = o[name] / o.total;
        if (share > 0) rings += share >= 0.999 ? `<circle cx="${x}" cy="${y}" r="30" fill="none" stroke="${color}" stroke-width="6"/>`
                                               : `<path d="${arc(x, y, 30, from, from + share)}" fill="none" stroke="${color}" stroke-width="6"/>`;
        from += share;
      });
    }
    const average = o && o.total ? `${((o.time / o.total) * 1000).toFixed(1)} ms · ${o.total} req` : s.Type;
    html += `<g class="node" data-name="${escapeHtml(s.Name)}" data-type="${escapeHtml(s.Type)}" data-total="${o ? o.total : ""}"
        data-faults="${o ? o.fault : ""}" data-errors="${o ? o.error : ""}">${rings}
      <text x="${x}" y="${y + 4}" text-anchor="middle" class="node-type">${escapeHtml(s.Type === "client" ? "client" : s.Type.replace("AWS::", ""))}</text>
      <text x="${x}" y="${y + 50}" text-anchor="middle" class="node-name">${escapeHtml(s.Name)}</text>
      <text x="${x}" y="${y + 66}" text-anchor="middle" class="node-stats">${escapeHtml(average)}</text></g>`;
  });
  html += `<g transform="translate(10, 285)">${OUTCOMES.map(([n, c], i) => `<rect x="${i * 90}" y="-9" width="10" height="10" fill="${c}"/><text x="${i * 90 + 14}" y="0" class="legend-text">${n}</text>`).join("")}</g>`;
  svg.innerHTML = services.length ? html : `<text x="20" y="40">No traces in this time range${$("#group").value ? " and group" : ""}.</text>`;
  svg.querySelectorAll(".node").forEach((g) => {
    g.onclick = () => { if (g.dataset.type !== "client") findTraces(`service("${g.dataset.name}")`); };
  });
  svg.querySelectorAll(".edge").forEach((g) => {
    g.onclick = () => findTraces(g.dataset.source === "client" ? `service("${g.dataset.target}")` : `edge("${g.dataset.source}", "${g.dataset.target}")`);
  });
}

async function loadMap() {
  const group = $("#group").value;
  const answer = await api(`/api/xray/service-graph?minutes=${minutes()}${group ? `&group=${encodeURIComponent(group)}` : ""}`);
  drawMap(answer.services);
}

// --- Traces ---

async function findTraces(expression) {
  document.body.dataset.idle = "false";
  if (expression !== undefined) $("#filter").value = expression;
  const filter = $("#filter").value.trim();
  await load(async () => {
    const answer = await api(`/api/xray/traces?minutes=${minutes()}${filter ? `&filter=${encodeURIComponent(filter)}` : ""}`);
    $("#trace-count").textContent = `${answer.summaries.length} traces match${filter ? ` ${filter}` : ""} (of ${answer.processed} in the time range)`;
    const body = $("#traces tbody");
    body.innerHTML = "";
    answer.summaries.forEach((t) => {
      const http = t.Http || {};
      const flags = [t.HasFault && "fault", t.HasError && "error", t.HasThrottle && "throttle"].filter(Boolean).join(" ");
      const tr = document.createElement("tr");
      tr.dataset.traceId = t.Id;
      tr.innerHTML = `<td>${escapeHtml((t.StartTime || "").slice(11, 19))}</td><td><code>${escapeHtml(t.Id)}</code></td>
        <td class="number">${((t.ResponseTime || 0) * 1000).toFixed(1)}</td><td>${escapeHtml(`${http.HttpMethod || ""} ${http.HttpURL || ""}`)}</td>
        <td class="${flags ? "bad" : ""}">${escapeHtml(String(http.HttpStatus || ""))} ${flags}</td>
        <td>${escapeHtml((t.ServiceIds || []).map((s) => s.Name).join(", "))}</td>`;
      tr.onclick = () => openTrace(t.Id);
      body.append(tr);
    });
    history.replaceState(null, "", `?filter=${encodeURIComponent(filter)}`);
  });
}

// --- A trace's timeline ---

function subsegments(entity) { return Array.isArray(entity.subsegments) ? entity.subsegments : []; }

async function openTrace(traceId) {
  await load(async () => {
    const trace = await api(`/api/xray/traces/${encodeURIComponent(traceId)}`);
    const otelId = traceId.replace(/^1-/, "").replace("-", "");
    $("#timeline-id").textContent = traceId;
    $("#to-console").href = `/?trace=${otelId}`;
    $("#to-jaeger").href = `${(await api("/api/config")).jaeger_url}/trace/${otelId}`;
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
  const box = $("#timeline");
  box.innerHTML = "";
  const row = (entity, depth, tracer) => {
    const isSegment = entity.sent_by !== undefined;
    const offset = ((entity.start_time - start) / total) * 100;
    const width = Math.max((((entity.end_time || entity.start_time) - entity.start_time) / total) * 100, 0.3);
    const flags = ["fault", "error", "throttle"].filter((f) => entity[f] === true);
    const color = flags.includes("fault") ? "#dc2626" : flags.includes("error") ? "#f59e0b" : tracer === "OpenTelemetry" ? "#6366f1" : "#0ea5e9";
    const div = document.createElement("div");
    div.className = `span-row${isSegment ? " segment" : ""}`;
    div.setAttribute("role", "listitem");
    div.dataset.tracer = tracer;
    div.dataset.name = entity.name;
    div.innerHTML = `<div class="span-label" style="padding-left:${depth * 14}px">${isSegment ? `<span class="badge">${escapeHtml(tracer)}</span> ` : ""}
        ${isSegment ? "<b>" : ""}${escapeHtml(entity.name)}${isSegment ? "</b>" : ""}${entity.namespace === "remote" ? " (remote)" : ""} ${flags.join(" ")}</div>
      <div class="span-track"><div class="span-bar" style="left:${offset}%;width:${width}%;background:${color}"></div>
        <span class="span-time" style="left:${Math.min(offset + width, 88)}%">${(((entity.end_time || entity.start_time) - entity.start_time) * 1000).toFixed(2)} ms</span></div>`;
    div.onclick = () => {
      const detail = { annotations: entity.annotations, metadata: entity.metadata, http: entity.http, cause: entity.cause };
      $("#entity-detail").textContent = `${entity.name}\n${JSON.stringify(detail, null, 2)}`;
    };
    box.append(div);
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
  select.innerHTML = `<option value="">all traces</option>${answer.groups.filter((g) => g.GroupName !== "Default")
    .map((g) => `<option>${escapeHtml(g.GroupName)}</option>`).join("")}`;
  select.value = chosen;
  $("#group-filters").innerHTML = `<span class="muted">Groups:</span>${answer.groups.filter((g) => g.FilterExpression)
    .map((g) => `<button type="button" data-group="${escapeHtml(g.GroupName)}" title="${escapeHtml(g.FilterExpression)}">${escapeHtml(g.GroupName)}: ${escapeHtml(g.FilterExpression)}</button>`).join("")}`;
  document.querySelectorAll("[data-group]").forEach((b) => { b.onclick = () => findTraces(`group.name = "${b.dataset.group}"`); });
}

async function loadSampling() {
  const answer = await api("/api/xray/sampling");
  $("#rules tbody").innerHTML = answer.rules.map(({ SamplingRule: r }) => `<tr><td>${escapeHtml(r.RuleName)}</td><td class="number">${r.Priority}</td>
    <td class="number">${r.ReservoirSize}</td><td class="number">${r.FixedRate}</td><td>${escapeHtml(r.ServiceName)}</td>
    <td>${escapeHtml(r.HTTPMethod)}</td><td>${escapeHtml(r.URLPath)}</td></tr>`).join("");
  $("#statistics tbody").innerHTML = answer.statistics.map((s) => `<tr><td>${escapeHtml(s.RuleName)}</td><td>${escapeHtml((s.Timestamp || "").slice(11, 19))}</td>
    <td class="number">${s.RequestCount}</td><td class="number">${s.SampledCount}</td><td class="number">${s.BorrowCount}</td></tr>`).join("")
    || `<tr><td colspan="5" class="muted">No client reported yet.</td></tr>`;
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
