// Shared by every page: the live event stream, API calls with the CSRF token, small helpers.
// Text from axons is only ever set with textContent: nothing an axon sends becomes markup.
"use strict";

const Synapse = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const handlers = [];
  let source = null;

  function pageData() {
    const el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : {};
  }

  async function api(method, url, body) {
    const init = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (!response.ok) {
      const message = (data && data.detail) || response.statusText;
      throw new Error(message);
    }
    return data;
  }

  function setLive(state) {
    const el = document.getElementById("live");
    if (el) { el.dataset.state = state; el.textContent = state; }
  }

  function connect() {
    if (!csrf || source) return;
    source = new EventSource("/events");
    source.addEventListener("hello", () => setLive("live"));
    source.addEventListener("overflow", () => location.reload());
    source.onmessage = (msg) => {
      const event = JSON.parse(msg.data);
      for (const handler of handlers) handler(event);
    };
    // EventSource reconnects by itself after an error; show it meanwhile.
    source.onerror = () => setLive(source.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
  }

  function on(handler) { handlers.push(handler); connect(); }

  function when(ts) {
    if (!ts) return "never";
    return new Date(ts * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  }

  function show(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number" && !Number.isInteger(value)) return String(Math.round(value * 100) / 100);
    return String(value);
  }

  const SVG = "http://www.w3.org/2000/svg";
  // A polyline of numbers inside an SVG's viewBox; non-numbers are skipped.
  function line(svg, points, opts = {}) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const box = svg.viewBox.baseVal;
    const numeric = points.filter((p) => typeof p[1] === "number");
    if (numeric.length < 2) return;
    const xs = numeric.map((p) => p[0]);
    const ys = numeric.map((p) => p[1]);
    const x0 = opts.from ?? Math.min(...xs);
    const x1 = opts.to ?? Math.max(...xs);
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (y0 === y1) { y0 -= 1; y1 += 1; }
    const pad = 2;
    const sx = (x) => ((x - x0) / (x1 - x0 || 1)) * box.width;
    const sy = (y) => box.height - pad - ((y - y0) / (y1 - y0)) * (box.height - 2 * pad);
    const coords = numeric.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ");
    const poly = document.createElementNS(SVG, "polyline");
    poly.setAttribute("points", coords);
    poly.setAttribute("fill", "none");
    poly.setAttribute("vector-effect", "non-scaling-stroke");
    svg.appendChild(poly);
    if (opts.labels) {
      for (const [y, text] of [[pad + 8, show(y1)], [box.height - pad, show(y0)]]) {
        const label = document.createElementNS(SVG, "text");
        label.setAttribute("x", "2");
        label.setAttribute("y", String(y));
        label.textContent = text;
        svg.appendChild(label);
      }
    }
  }

  function wireApproval(root) {
    root.addEventListener("click", async (e) => {
      const button = e.target.closest("[data-approve], [data-reject]");
      if (!button) return;
      const id = button.dataset.approve || button.dataset.reject;
      const verb = button.dataset.approve ? "approve" : "reject";
      button.disabled = true;
      try {
        await api("POST", `/api/v1/axons/${encodeURIComponent(id)}/${verb}`);
        location.reload();
      } catch (err) {
        button.disabled = false;
        alertText(button.parentElement, err.message);
      }
    });
  }

  function alertText(parent, text) {
    let p = parent.querySelector(".error.js");
    if (!p) { p = document.createElement("p"); p.className = "error js"; p.setAttribute("role", "alert"); parent.appendChild(p); }
    p.textContent = text;
  }

  return { api, on, when, show, line, pageData, wireApproval, alertText, csrf };
})();
