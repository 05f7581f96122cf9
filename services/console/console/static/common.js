// What every page of the console shares: the API call, messages, escaping, colours.
"use strict";

const $ = (selector) => document.querySelector(selector);
const COLORS = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16", "#f97316", "#6366f1"];

async function api(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ message: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(answer.message || response.statusText);
  return answer;
}

function show(element, visible) { element.hidden = !visible; }

function say(message) {
  const box = $("#message");
  box.textContent = message || "";
  show(box, Boolean(message));
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function fmt(value) {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return value === null || value === undefined ? "(none)" : String(value);
}
