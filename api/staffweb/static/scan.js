// The scanner page: a handheld scanner types the code and Enter into the
// focused field; a phone uses its camera. Each answer fills the screen:
// green admitted, amber wait, red refused, with a sound.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const lang = document.body.dataset.lang;
  const T = JSON.parse($("texts").textContent);
  const csrf = (document.cookie.match(/(?:^|; )slotgate_csrf=([^;]+)/) || [])[1] || "";
  const venue = $("venue"), gate = $("gate"), code = $("code"), result = $("result");

  // Remember where this phone stands between scans and reloads.
  gate.value = localStorage.getItem("slotgate.gate") || "";
  const savedVenue = localStorage.getItem("slotgate.venue");
  if (savedVenue && [...venue.options].some((o) => o.value === savedVenue)) venue.value = savedVenue;
  gate.addEventListener("change", () => localStorage.setItem("slotgate.gate", gate.value.trim()));
  venue.addEventListener("change", () => { localStorage.setItem("slotgate.venue", venue.value); refreshOccupancy(); });

  // The field keeps focus, so a handheld scanner can type at any moment.
  const refocus = () => { if (!document.activeElement || document.activeElement === document.body || document.activeElement === result) code.focus(); };
  document.addEventListener("click", (e) => { if (!e.target.closest("input, select, button, details, summary")) setTimeout(refocus, 0); });
  setInterval(refocus, 1500);

  async function api(method, path, body) {
    const res = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": decodeURIComponent(csrf), "Accept-Language": lang },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) { location.href = "/staff/login"; throw new Error("signed out"); }
    let data = {};
    try { data = await res.json(); } catch (_) { /* empty answer */ }
    return { status: res.status, data };
  }

  function showOccupancy(o) {
    if (!o) return;
    $("inside").textContent = o.inside;
    $("capacity").textContent = o.capacity;
    document.querySelector(".occupancy").classList.toggle("full", o.inside >= o.capacity);
  }
  async function refreshOccupancy() {
    try { const r = await api("GET", "/api/v1/venues/" + venue.value + "/occupancy"); if (r.status === 200) showOccupancy(r.data); } catch (_) { /* retried */ }
  }
  refreshOccupancy();
  setInterval(refreshOccupancy, 5000);

  // Sounds made on the spot: no files to load, works offline.
  let audio;
  function beep(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tones = { green: [[880, 0, 0.15]], amber: [[520, 0, 0.2], [520, 0.3, 0.2]], red: [[220, 0, 0.25], [180, 0.3, 0.45]] }[kind];
      for (const [f, at, len] of tones) {
        const o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = f; o.type = kind === "green" ? "sine" : "square";
        g.gain.value = 0.2; o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + at); o.stop(audio.currentTime + at + len);
      }
    } catch (_) { /* no sound on this device */ }
  }

  function show(kind, title, detail, party) {
    result.className = "result " + kind;
    $("result-title").textContent = title;
    $("result-detail").textContent = detail || "";
    const list = $("result-party");
    list.textContent = "";
    for (const v of party || []) {
      const li = document.createElement("li");
      li.textContent = v.name + "  " + v.id_masked;
      list.appendChild(li);
    }
    beep(kind);
  }

  // Which colour a refusal gets: amber when waiting will do, red otherwise.
  const amber = new Set(["wrong_time", "flow_limited", "rate_limited", "unavailable"]);

  function answer(r) {
    if (r.status === 200 || r.status === 201) {
      const b = r.data.booking;
      show("green", T.admitted + " · " + b.party_size + " " + T.people, T.gate + " " + r.data.gate, b.visitors);
      showOccupancy(r.data.occupancy);
      return;
    }
    const p = r.data || {};
    let detail = p.detail || "";
    if (p.retry_after && !detail) detail = p.retry_after + " s";
    show(amber.has(p.code) ? "amber" : "red", p.title || String(r.status), detail, p.booking && p.booking.visitors);
  }

  function needGate() {
    if (gate.value.trim()) return false;
    show("amber", T.needGate, "", []);
    gate.focus();
    return true;
  }

  let busy = false;
  async function check(text) {
    text = text.trim();
    if (!text || busy || needGate()) return;
    busy = true;
    try {
      // A retry of this request (a flaky network) gets the same answer.
      const requestId = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
      const body = { code: text, gate: gate.value.trim(), venue: venue.value, request_id: requestId };
      let r;
      try { r = await api("POST", "/api/v1/admissions", body); } catch (_) { r = await api("POST", "/api/v1/admissions", body); }
      answer(r);
    } catch (e) {
      if (e.message !== "signed out") show("amber", T.offline, "", []);
    } finally {
      busy = false;
      code.value = "";
      code.focus();
    }
  }

  $("scan-form").addEventListener("submit", (e) => { e.preventDefault(); check(code.value); });

  $("exit").addEventListener("click", async () => {
    if (needGate()) return;
    try {
      const r = await api("POST", "/api/v1/venues/" + venue.value + "/exits", { gate: gate.value.trim(), count: 1 });
      if (r.status === 200) showOccupancy(r.data); else answer(r);
    } catch (_) { show("amber", T.offline, "", []); }
    code.focus();
  });

  // Camera: the browser's BarcodeDetector where it exists, otherwise a
  // frame now and then sent to the server to decode.
  let stream = null;
  $("camera").addEventListener("click", async () => {
    const video = $("video");
    if (stream) { stream.getTracks().forEach((t) => t.stop()); stream = null; video.hidden = true; return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (_) { show("red", T.noCamera, "", []); return; }
    video.srcObject = stream; video.hidden = false; await video.play();
    const detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    const canvas = document.createElement("canvas");
    let last = "";
    const tick = async () => {
      if (!stream) return;
      let text = "";
      try {
        if (detector) {
          const found = await detector.detect(video);
          if (found.length) text = found[0].rawValue;
        } else if (video.videoWidth) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          canvas.getContext("2d").drawImage(video, 0, 0);
          const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", 0.8));
          const res = await fetch("/api/v1/scans/decode", { method: "POST", credentials: "same-origin", body: blob,
            headers: { "Content-Type": "image/jpeg", "X-CSRF-Token": decodeURIComponent(csrf) } });
          if (res.status === 200) text = (await res.json()).text;
        }
      } catch (_) { /* next frame */ }
      if (text && text !== last) { last = text; await check(text); setTimeout(() => { last = ""; }, 3000); }
      setTimeout(tick, detector ? 150 : 700);
    };
    tick();
  });

  // Walk-ins: people registered on the spot, admitted at once.
  const rows = $("walkin-rows");
  const addRow = () => {
    const max = Number(venue.selectedOptions[0].dataset.max || 5);
    if (rows.children.length < max) rows.appendChild($("walkin-row").content.cloneNode(true));
  };
  addRow();
  $("walkin-add").addEventListener("click", addRow);
  $("walkin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (needGate()) return;
    const visitors = [...rows.querySelectorAll(".person")].map((p) => ({
      name: p.querySelector(".name").value.trim(), id_type: p.querySelector(".idtype").value,
      id_number: p.querySelector(".idnumber").value.trim() }));
    const body = { gate: gate.value.trim(), visitors };
    const phone = $("walkin-phone").value.trim();
    if (phone) body.phone = phone;
    try {
      const r = await api("POST", "/api/v1/venues/" + venue.value + "/walkins", body);
      if (r.status === 201) { rows.textContent = ""; addRow(); $("walkin-phone").value = ""; }
      if (r.status === 422 && r.data.errors) r.data.detail = r.data.errors.map((x) => x.field + ": " + x.message).join("; ");
      answer(r);
    } catch (_) { show("amber", T.offline, "", []); }
  });
})();
