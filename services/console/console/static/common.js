// What every page of the console shares: the API call, messages, escaping, colours.
"use strict";

const $ = (selector) => document.querySelector(selector);
const COLORS = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16", "#f97316", "#6366f1"];

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ message: `${response.status} ${response.statusText}` }));
  // The error's code and, for a malformed Logs Insights query, where it is (location) go along.
  if (!response.ok) throw Object.assign(new Error(answer.message || response.statusText), { code: answer.error, location: answer.location });
  return answer;
}

// A page can ask the same thing again before the first answer is in (its own first load, then a
// click): newest(kind) numbers the asks of a kind, and the check it returns is false once a newer
// ask of that kind began, so a late answer never overwrites a newer one.
const asked = {};
function newest(kind) {
  const mine = (asked[kind] = (asked[kind] || 0) + 1);
  return () => mine === asked[kind];
}

function show(element, visible) { element.hidden = !visible; }

function say(message) {
  const box = $("#message");
  box.textContent = message || "";
  show(box, Boolean(message));
}

// Everything the pages show came from telemetry someone sent: it goes into the page as text
// nodes and attribute values, never through HTML parsing (no innerHTML anywhere).
// el("td", { class: "number", dataset: { id }, style: { left: "3%" }, onclick: f }, "text", child)
const SVG_NS = "http://www.w3.org/2000/svg";
const SVG_TAGS = new Set(["svg", "g", "line", "path", "circle", "rect", "text", "defs", "marker", "title"]);

// Children as append() takes them: nested lists flattened, absent ones (null, false) left out.
function nodes(children) {
  return children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : String(c)));
}

function el(tag, props = {}, ...children) {
  const node = SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "style") Object.assign(node.style, value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  node.append(...nodes(children));
  return node;
}

// Replace an element's children (a table body, a list) with these.
function fill(element, ...children) {
  element.replaceChildren(...nodes(children));
  return element;
}

// Text for Plotly, which reads a few HTML tags in its labels (<b>, <a href>, <br>): entities
// make it show them as they were written.
function plotText(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

// A link inside the console (or to Jaeger): only http(s) and relative addresses become links.
function safeUrl(url) {
  return /^(https?:\/\/|\/)/i.test(String(url)) ? String(url) : "#";
}

function fmt(value) {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return value === null || value === undefined ? "(none)" : String(value);
}
