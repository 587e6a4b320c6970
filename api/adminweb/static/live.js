// The live dashboard: draws each venue's charts as SVG from what
// GET /api/v1/admin/live answers, and asks again every few seconds, so the
// page follows the gates without being reloaded. The first drawing uses the
// data the server put in the page.
(function () {
  "use strict";
  const A = window.slotgateAdmin;
  const root = document.getElementById("live");
  if (!A || !root) return;
  const T = A.T, fmt = A.fmt;
  const NS = "http://www.w3.org/2000/svg";
  const EVERY = 5000;

  // The server's clock ends the time axis; between answers it is guessed
  // from the page's own clock. The venue's UTC offset labels the hours.
  const serverNow = Date.parse(root.dataset.now), loadedAt = Date.now();
  const offset = (() => {
    const m = /([+-])(\d\d):(\d\d)$/.exec(root.dataset.now || "");
    return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60000 : 0;
  })();
  // Each venue's own offset, when the answer gives it, labels its chart.
  const offsetOf = (v) => (v && typeof v.utc_offset_minutes === "number" ? v.utc_offset_minutes * 60000 : offset);
  const hhmm = (t, off) => new Date(t + (off === undefined ? offset : off)).toISOString().slice(11, 16);

  let venues = JSON.parse(document.getElementById("live-data").textContent) || [];
  let lastOK = Date.now();

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function canvas(box, h, label) {
    const w = Math.max(Math.floor(box.clientWidth || 300), 160);
    box.textContent = "";
    const svg = el("svg", { viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img", "aria-label": label, focusable: "false" }, box);
    return { svg, w, h };
  }

  function tip(node, text) { el("title", {}, node).textContent = text; }

  // niceMax rounds the top of an axis up to 1, 2 or 4 times a power of
  // ten, so that its middle line is a whole number too.
  function niceMax(v, least) {
    v = Math.max(v, least);
    const step = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 4, 10]) if (m * step >= v) return m * step;
    return 10 * step;
  }

  function yAxis(svg, left, top, plotH, w, maxY) {
    for (const f of [0, 0.5, 1]) {
      const y = top + plotH - f * plotH;
      el("line", { x1: left, x2: w, y1: y, y2: y, stroke: f === 0 ? "#7b868d" : "#e1e6e2", "stroke-width": 1 }, svg);
      el("text", { x: left - 4, y: y + 4, "text-anchor": "end", "font-size": 11 }, svg).textContent = String(Math.round(f * maxY));
    }
  }

  function drawOccupancy(box, v) {
    const cap = Math.max(v.capacity, 0), share = cap ? Math.min(v.inside / cap, 1) : 0;
    const { svg, w } = canvas(box, 22, fmt(T.inside, v.inside, v.capacity));
    svg.setAttribute("class", "occupancy-chart");
    svg.dataset.inside = v.inside;
    svg.dataset.capacity = v.capacity;
    const room = w - 52; // the share is written at the right
    el("rect", { x: 0, y: 3, width: room, height: 16, rx: 4, fill: "#e1e6e2" }, svg);
    const colour = share >= 0.9 ? "#b42318" : share >= 0.7 ? "#d98e04" : "#0a6e4f";
    const bar = el("rect", { x: 0, y: 3, width: (room * share).toFixed(1), height: 16, rx: 4, fill: colour, class: "occ-bar" }, svg);
    tip(bar, fmt(T.inside, v.inside, v.capacity));
    const pct = share * 100;
    el("text", { x: w, y: 16, "text-anchor": "end", "font-size": 13, "font-weight": 700 }, svg).textContent =
      (pct > 0 && pct < 1 ? pct.toFixed(1) : Math.round(pct)) + "%";
  }

  // axisEnd is where every venue's time axis ends: the server's time as
  // guessed, or the latest minute any venue has, whichever is later.
  function axisEnd() {
    let end = serverNow + (Date.now() - loadedAt);
    for (const v of venues) for (const m of v.admissions_per_minute || []) end = Math.max(end, Date.parse(m.minute) + 60000);
    return Math.floor(end / 60000) * 60000;
  }

  function drawMinutes(box, v, end) {
    const mins = v.admissions_per_minute || [];
    const times = mins.map((m) => Date.parse(m.minute));
    const start = end - 180 * 60000;
    let total = 0, most = 0;
    mins.forEach((m, i) => { if (times[i] >= start) { total += m.people; most = Math.max(most, m.people); } });
    const { svg, w, h } = canvas(box, 130, fmt(T.perMinute, total, most));
    svg.setAttribute("class", "minute-chart");
    svg.dataset.total = total;
    svg.dataset.max = most;
    const left = 30, top = 8, bottom = 20, plotW = w - left, plotH = h - top - bottom;
    const maxY = niceMax(most, 5), bw = plotW / 180;
    yAxis(svg, left, top, plotH, w, maxY);
    // Hour lines fall on the venue's local hours.
    const off = offsetOf(v);
    for (let t = Math.ceil((start + off) / 3600000) * 3600000 - off; t <= end; t += 3600000) {
      const x = left + ((t - start) / 60000) * bw;
      el("line", { x1: x, x2: x, y1: top, y2: top + plotH, stroke: "#eef1ef" }, svg);
      const anchor = x > w - 16 ? "end" : "middle"; // the last label stays inside the chart
      el("text", { x, y: h - 5, "text-anchor": anchor, "font-size": 11 }, svg).textContent = hhmm(t, off);
    }
    mins.forEach((m, i) => {
      if (times[i] < start) return;
      const bh = Math.max((m.people / maxY) * plotH, 1);
      const bar = el("rect", { x: (left + ((times[i] - start) / 60000) * bw).toFixed(1), y: (top + plotH - bh).toFixed(1),
        width: Math.max(bw * 0.85, 1.5).toFixed(1), height: bh.toFixed(1), fill: "#0a6e4f", class: "minute-bar" }, svg);
      tip(bar, fmt(T.minute, hhmm(times[i], off), m.people));
    });
  }

  function drawSlots(box, v) {
    const slots = v.slots || [];
    const booked = slots.reduce((n, s) => n + s.booked, 0), quota = slots.reduce((n, s) => n + s.quota, 0);
    const admitted = slots.reduce((n, s) => n + s.admitted, 0);
    const { svg, w, h } = canvas(box, 130, slots.length ? fmt(T.slots, booked, quota, admitted) : T.none);
    svg.setAttribute("class", "slots-chart");
    svg.dataset.booked = booked;
    svg.dataset.quota = quota;
    const legend = box.parentElement.querySelector(".legend");
    if (legend) legend.hidden = !slots.length;
    if (!slots.length) {
      el("text", { x: w / 2, y: h / 2, "text-anchor": "middle", "font-size": 13 }, svg).textContent = T.none;
      return;
    }
    const left = 30, top = 8, bottom = 20, plotW = w - left, plotH = h - top - bottom;
    const maxY = niceMax(Math.max(...slots.map((s) => Math.max(s.quota, s.booked))), 5);
    yAxis(svg, left, top, plotH, w, maxY);
    const col = plotW / slots.length, bw = Math.max(col * 0.7, 2);
    const every = Math.ceil(34 / col);
    const y = (n) => top + plotH - (n / maxY) * plotH;
    slots.forEach((s, i) => {
      const x = left + i * col + (col - bw) / 2;
      const g = el("g", { class: "slot-col" }, svg);
      el("rect", { x: x.toFixed(1), y: y(s.quota).toFixed(1), width: bw.toFixed(1), height: (top + plotH - y(s.quota)).toFixed(1),
        fill: "#dfe6e1", stroke: "#9aa8a0", "stroke-width": 1 }, g);
      el("rect", { x: x.toFixed(1), y: y(s.booked).toFixed(1), width: bw.toFixed(1), height: (top + plotH - y(s.booked)).toFixed(1), fill: "#4c9f83", class: "booked-bar" }, g);
      // Inside the booked bar: who came (admitted), and on top who did not (no-shows).
      el("rect", { x: (x + bw * 0.25).toFixed(1), y: y(s.admitted).toFixed(1), width: (bw * 0.5).toFixed(1), height: (top + plotH - y(s.admitted)).toFixed(1), fill: "#07533b" }, g);
      if (s.no_shows > 0) {
        el("rect", { x: (x + bw * 0.25).toFixed(1), y: y(s.admitted + s.no_shows).toFixed(1), width: (bw * 0.5).toFixed(1),
          height: (y(s.admitted) - y(s.admitted + s.no_shows)).toFixed(1), fill: "#b42318", class: "no-show-bar" }, g);
      }
      const when = s.start.slice(11, 16) + "–" + s.end.slice(11, 16);
      tip(g, fmt(T.slotTip, when, s.quota, s.booked, s.admitted, s.no_shows));
      if (i % every === 0) el("text", { x: (left + i * col + col / 2).toFixed(1), y: h - 5, "text-anchor": "middle", "font-size": 11 }, svg).textContent = s.start.slice(11, 13);
    });
  }

  function draw() {
    const end = axisEnd();
    const sum = { inside: 0, capacity: 0, admitted: 0, booked: 0, quota: 0, no_shows: 0 };
    for (const v of venues) {
      sum.inside += v.inside; sum.capacity += v.capacity; sum.admitted += v.admitted_today;
      sum.booked += v.booked_today; sum.quota += v.quota_today; sum.no_shows += v.no_shows;
      const card = root.querySelector('.live-card[data-venue="' + CSS.escape(v.venue) + '"]');
      if (!card) continue;
      for (const f of card.querySelectorAll("[data-field]")) {
        if (f.dataset.field in v) f.textContent = v[f.dataset.field];
      }
      drawOccupancy(card.querySelector('[data-chart="occupancy"]'), v);
      drawMinutes(card.querySelector('[data-chart="minutes"]'), v, end);
      drawSlots(card.querySelector('[data-chart="slots"]'), v);
    }
    for (const t of document.querySelectorAll("#totals [data-total]")) t.textContent = sum[t.dataset.total];
  }

  const state = document.getElementById("live-state");
  const clock = (t) => new Date(t).toLocaleTimeString(A.lang === "en" ? "en-GB" : "zh-CN", { hour12: false });

  let timer = 0;
  async function poll() {
    clearTimeout(timer);
    if (!document.hidden) {
      try {
        const r = await A.api("GET", root.dataset.api);
        if (r.status !== 200) throw new Error(String(r.status));
        venues = r.data;
        lastOK = Date.now();
        draw();
        state.textContent = fmt(T.updated, clock(lastOK));
        state.classList.remove("stale");
      } catch (e) {
        if (e.message === "signed out") return;
        state.textContent = fmt(T.stale, clock(lastOK));
        state.classList.add("stale");
      }
    }
    timer = setTimeout(poll, EVERY);
  }

  draw();
  timer = setTimeout(poll, EVERY);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  // The charts are drawn at their boxes' width in pixels, so that text
  // stays its size: a box that changes width (a phone turned, a window
  // resized) is drawn again before the next frame shows.
  if ("ResizeObserver" in window) {
    const widths = new Map();
    new ResizeObserver((entries) => {
      if (entries.some((e) => widths.get(e.target) !== undefined && widths.get(e.target) !== e.contentRect.width)) draw();
      for (const e of entries) widths.set(e.target, e.contentRect.width);
    }).observe(root);
  } else {
    let resizing = 0;
    window.addEventListener("resize", () => { clearTimeout(resizing); resizing = setTimeout(draw, 150); });
  }
})();
