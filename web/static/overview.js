// The overview: cards update from the live stream; new axons appear; the filter hides cards.
"use strict";

(() => {
  const data = Synapse.pageData();
  const series = {}; // axon id -> numbers for its sparkline

  function cardOf(id) {
    return document.querySelector(`.card[data-axon="${CSS.escape(id)}"]`);
  }

  function drawSpark(card) {
    const svg = card.querySelector("svg.spark");
    if (!svg) return;
    const values = series[card.dataset.axon] || [];
    Synapse.line(svg, values.map((v, i) => [i, v]));
  }

  function groupFor(name) {
    let section = [...document.querySelectorAll("#groups .group")].find((s) => s.dataset.group === name);
    if (!section) {
      section = document.createElement("section");
      section.className = "group";
      section.dataset.group = name;
      const h = document.createElement("h2");
      h.textContent = name || "Ungrouped";
      const cards = document.createElement("div");
      cards.className = "cards";
      section.append(h, cards);
      document.getElementById("groups").appendChild(section);
    }
    return section.querySelector(".cards");
  }

  function fill(card, c) {
    card.dataset.axon = c.id;
    card.dataset.status = c.status;
    card.dataset.approval = c.approval;
    card.dataset.search = `${c.id} ${c.name} ${c.tags.join(" ")}`.toLowerCase();
    const link = card.querySelector("a.name");
    link.textContent = c.name;
    link.href = `/axons/${encodeURIComponent(c.id)}`;
    card.querySelector('[data-field="status"]').textContent = c.approval === "approved" ? c.status : c.approval;
    const since = card.querySelector('[data-field="since"]');
    since.textContent = Synapse.when(c.since);
    const dl = card.querySelector("dl.values");
    for (const w of c.widgets) {
      let row = dl.querySelector(`[data-widget="${CSS.escape(w.id)}"]`);
      if (!row) {
        row = document.createElement("div");
        row.dataset.widget = w.id;
        const dt = document.createElement("dt");
        const dd = document.createElement("dd");
        const v = document.createElement("span"); v.className = "v";
        const u = document.createElement("span"); u.className = "unit";
        dd.append(v, " ", u);
        row.append(dt, dd);
        dl.appendChild(row);
      }
      row.querySelector("dt").textContent = w.label;
      row.querySelector(".unit").textContent = w.unit;
      row.querySelector(".v").textContent = Synapse.show(c.values[w.id]);
    }
    if (c.spark && !card.querySelector("svg.spark")) {
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("class", "spark");
      svg.setAttribute("viewBox", "0 0 100 24");
      svg.setAttribute("preserveAspectRatio", "none");
      svg.dataset.spark = c.spark;
      dl.after(svg);
    }
    const err = card.querySelector(".error.small");
    if (err) { err.textContent = c.last_error || ""; err.hidden = !c.last_error; }
    const buttons = card.querySelector(".buttons");
    if (buttons) {
      buttons.hidden = !(c.approval === "pending" && data.admin);
      buttons.querySelectorAll("[data-approve]").forEach((b) => (b.dataset.approve = c.id));
      buttons.querySelectorAll("[data-reject]").forEach((b) => (b.dataset.reject = c.id));
    }
  }

  function place(card, c) {
    const target = c.approval === "pending" ? document.getElementById("pending-cards") : groupFor(c.group);
    if (c.approval === "rejected") { card.remove(); return; }
    if (card.parentElement !== target) target.appendChild(card);
    document.getElementById("pending").hidden = !document.querySelector("#pending-cards .card");
    document.getElementById("empty").hidden = true;
  }

  function counts() {
    const cards = [...document.querySelectorAll("#groups .card")];
    document.getElementById("count-online").textContent = cards.filter((c) => c.dataset.status === "online").length;
    document.getElementById("count-offline").textContent = cards.filter((c) => c.dataset.status === "offline").length;
    document.getElementById("count-total").textContent = cards.length;
  }

  Synapse.on((event) => {
    if (event.card) {
      let card = cardOf(event.axon);
      if (!card) {
        card = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
      }
      fill(card, event.card);
      place(card, event.card);
      applyFilter();
      counts();
    } else if (event.kind === "values") {
      const card = cardOf(event.axon);
      if (!card) return;
      for (const [widget, value] of Object.entries(event.data.values || {})) {
        const v = card.querySelector(`[data-widget="${CSS.escape(widget)}"] .v`);
        if (v) v.textContent = Synapse.show(value);
        const svg = card.querySelector("svg.spark");
        if (svg && svg.dataset.spark === widget && typeof value === "number") {
          (series[event.axon] ||= []).push(value);
          if (series[event.axon].length > 60) series[event.axon].shift();
          drawSpark(card);
        }
      }
    }
  });

  const filter = document.getElementById("filter");
  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    document.querySelectorAll(".card").forEach((card) => {
      card.hidden = q !== "" && !card.dataset.search.includes(q);
    });
    document.querySelectorAll("#groups .group").forEach((g) => {
      g.hidden = !g.querySelector(".card:not([hidden])");
    });
  }
  filter.addEventListener("input", applyFilter);

  Synapse.wireApproval(document.getElementById("main"));

  Synapse.api("GET", "/ui/sparklines").then((all) => {
    for (const [axon, bySeries] of Object.entries(all)) {
      const card = cardOf(axon);
      if (!card) continue;
      const svg = card.querySelector("svg.spark");
      if (!svg || !bySeries[svg.dataset.spark]) continue;
      series[axon] = bySeries[svg.dataset.spark].concat(series[axon] || []);
      drawSpark(card);
    }
  }).catch(() => {});
})();
