// One axon: history graphs with a range selector, live values and status, actions with a
// confirmation for dangerous ones and their results as they arrive, and the override editor.
"use strict";

(() => {
  const data = Synapse.pageData();
  const base = `/api/v1/axons/${encodeURIComponent(data.id)}`;
  const points = {}; // widget id -> [[ts, value], ...]
  let range = 3600;
  let clockSkew = data.now - Date.now() / 1000; // the hub's clock may not be the browser's
  const hubNow = () => Date.now() / 1000 + clockSkew;

  // -- history graphs -----------------------------------------------------------------
  function draw(widget) {
    const svg = document.querySelector(`.widget[data-widget="${CSS.escape(widget)}"] svg.graph`);
    if (svg) Synapse.line(svg, points[widget] || [], { from: hubNow() - range, to: hubNow(), labels: true });
  }

  async function load() {
    const since = hubNow() - range;
    await Promise.all(data.widgets.map(async (w) => {
      try {
        points[w.id] = await Synapse.api("GET", `${base}/history/${encodeURIComponent(w.id)}?since=${since}&limit=2000`);
      } catch (_) { points[w.id] = []; }
      draw(w.id);
    }));
  }

  document.querySelectorAll("[data-range]").forEach((button) => {
    button.addEventListener("click", () => {
      range = Number(button.dataset.range);
      document.querySelectorAll("[data-range]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      load();
    });
  });

  // -- command results ------------------------------------------------------------------
  const results = document.getElementById("results");
  function showCommand(c) {
    if (!results) return;
    let li = results.querySelector(`[data-request="${CSS.escape(c.request_id)}"]`);
    if (!li) {
      li = document.createElement("li");
      li.dataset.request = c.request_id;
      const badge = document.createElement("span"); badge.className = "badge";
      const name = document.createElement("strong");
      const meta = document.createElement("span"); meta.className = "muted small";
      const out = document.createElement("pre"); out.className = "output";
      li.append(badge, " ", name, " ", meta, out);
      results.prepend(li);
    }
    li.dataset.state = c.state;
    li.querySelector(".badge").textContent = c.state;
    li.querySelector("strong").textContent = c.action;
    const took = c.duration_ms == null ? "" : ` · ${c.duration_ms} ms`;
    li.querySelector(".muted").textContent = `by ${c.requested_by} at ${Synapse.when(c.requested_at)}${took}`;
    if (c.state !== "sent" || c.output) li.querySelector(".output").textContent = c.output || c.error || "";
  }
  function progress(requestId, line) {
    const li = results && results.querySelector(`[data-request="${CSS.escape(requestId)}"]`);
    if (li) li.querySelector(".output").textContent += `${line}\n`;
  }

  // -- actions ----------------------------------------------------------------------------
  const dialog = document.getElementById("confirm");
  function confirmRun(label) {
    return new Promise((resolve) => {
      document.getElementById("confirm-action").textContent = label;
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "run"), { once: true });
      dialog.showModal();
    });
  }

  function params(form) {
    const out = {};
    form.querySelectorAll("input, select").forEach((el) => {
      if (!el.name) return;
      const type = el.dataset.type;
      if (type === "boolean") out[el.name] = el.checked;
      else if (el.value === "") return;
      else if (type === "integer") out[el.name] = parseInt(el.value, 10);
      else if (type === "number") out[el.name] = Number(el.value);
      else out[el.name] = el.value;
    });
    return out;
  }

  document.querySelectorAll("form.action").forEach((form) => {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (form.dataset.confirm === "true" && !(await confirmRun(form.dataset.label))) return;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const command = await Synapse.api("POST", `${base}/actions/${encodeURIComponent(form.dataset.action)}`, { params: params(form) });
        showCommand(command);
        poll(command.request_id);
      } catch (err) {
        Synapse.alertText(form, err.message);
      } finally {
        button.disabled = false;
      }
    });
  });

  // The live stream brings the result; polling is the fallback when the stream is down.
  async function poll(requestId) {
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const li = results.querySelector(`[data-request="${CSS.escape(requestId)}"]`);
      if (li && li.dataset.state !== "sent") return;
      try { showCommand(await Synapse.api("GET", `/api/v1/commands/${encodeURIComponent(requestId)}`)); } catch (_) { return; }
    }
  }

  // -- live -----------------------------------------------------------------------------
  Synapse.on((event) => {
    if (event.axon !== data.id) return;
    if (event.kind === "values") {
      for (const [widget, value] of Object.entries(event.data.values || {})) {
        const v = document.querySelector(`.widget[data-widget="${CSS.escape(widget)}"] .v`);
        if (v) v.textContent = Synapse.show(value);
        (points[widget] ||= []).push([event.data.at || event.at, value]);
        draw(widget);
      }
      document.getElementById("last-seen").textContent = Synapse.when(event.at);
    } else if (event.kind === "command") {
      showCommand(event.data);
    } else if (event.kind === "command_progress") {
      progress(event.data.request_id, event.data.progress);
    } else if (event.card) {
      const status = document.getElementById("status");
      status.textContent = event.card.approval === "approved" ? event.card.status : event.card.approval;
      status.dataset.status = event.card.status;
      document.getElementById("since").textContent = Synapse.when(event.card.since);
      if (event.kind === "status") {
        const li = document.createElement("li");
        const t = document.createElement("time"); t.textContent = Synapse.when(event.at);
        const b = document.createElement("span"); b.className = "badge"; b.textContent = event.data.to;
        b.dataset.status = event.data.to;
        const r = document.createElement("span"); r.className = "muted small"; r.textContent = `status from ${event.data.from}: ${event.data.reason}`;
        li.append(t, " ", b, " ", r);
        document.getElementById("timeline").prepend(li);
      }
    }
  });

  // -- overrides --------------------------------------------------------------------------
  const overrideForm = document.getElementById("override-form");
  function setPath(patch, path, value) {
    const parts = path.split(".");
    let cursor = patch;
    for (const part of parts.slice(0, -1)) cursor = cursor[part] ||= {};
    cursor[parts[parts.length - 1]] = value;
  }
  if (overrideForm && !overrideForm.inert) {
    overrideForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const patch = {};
      let changed = 0;
      overrideForm.querySelectorAll("input[name], textarea[name]").forEach((el) => {
        const wasSet = el.dataset.set === "true";
        if (el.value === el.dataset.original && (wasSet || el.value === "")) return;
        let value = el.value;
        if (el.dataset.kind === "number") value = value === "" ? null : Number(value);
        else if (el.dataset.kind === "list") value = value.split(",").map((s) => s.trim()).filter(Boolean);
        setPath(patch, el.name, value);
        changed++;
      });
      const status = document.getElementById("override-status");
      if (!changed) { status.textContent = "Nothing changed."; return; }
      try {
        await Synapse.api("PATCH", `${base}/overrides`, patch);
        location.reload();
      } catch (err) {
        status.textContent = err.message;
        status.className = "error";
      }
    });
  }
  document.querySelectorAll("[data-reset]").forEach((button) => {
    button.addEventListener("click", async () => {
      try {
        await Synapse.api("DELETE", `${base}/overrides/${encodeURIComponent(button.dataset.reset)}`);
        location.reload();
      } catch (err) {
        Synapse.alertText(button.closest("td, p"), err.message);
      }
    });
  });

  Synapse.wireApproval(document.getElementById("main"));
  load();
})();
