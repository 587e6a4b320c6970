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

  const fmt = (t, n) => t.replace("%d", String(n));
  const chooseBtn = $("admit-chosen");
  let current = null; // the booking last shown, for admitting the rest of its party

  // The party as a list: a tick for each person in, a box to tick for
  // each person outside (staff may admit some of them), and a line saying
  // who is still outside.
  function showParty(booking, choosing, justIn) {
    const list = $("result-party");
    list.textContent = "";
    current = booking || null;
    const outside = [];
    for (const v of (booking && booking.visitors) || []) {
      const li = document.createElement("li");
      const st = v.status || "confirmed";
      li.className = "p-" + st + (justIn && justIn.includes(v.position) ? " now" : "");
      const mark = document.createElement("span");
      mark.className = "mark";
      if (st === "confirmed") {
        outside.push(v);
        const box = document.createElement("input");
        box.type = "checkbox"; box.value = v.position; box.checked = choosing;
        box.setAttribute("aria-label", v.name);
        box.addEventListener("change", updateChosen);
        mark.appendChild(box);
      } else {
        mark.textContent = st === "admitted" ? "✓" : "✗";
      }
      li.appendChild(mark);
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = v.name + "  " + v.id_masked;
      li.appendChild(who);
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = justIn && justIn.includes(v.position) ? T.inNow :
        { admitted: T.in, confirmed: T.outside, cancelled: T.cancelled, no_show: T.noShow }[st] || st;
      li.appendChild(tag);
      list.appendChild(li);
    }
    const note = $("result-outside");
    if (booking && booking.visitors && booking.visitors.length > 1) {
      note.hidden = false;
      note.textContent = outside.length ? fmt(T.stillOutside, outside.length) + outside.map((v) => v.name).join("、") : T.allIn;
    } else {
      note.hidden = !outside.length;
      note.textContent = outside.length ? fmt(T.stillOutside, outside.length) + outside.map((v) => v.name).join("、") : "";
    }
    updateChosen();
  }

  function chosen() {
    return [...$("result-party").querySelectorAll("input[type=checkbox]:checked")].map((b) => Number(b.value));
  }
  function updateChosen() {
    const n = chosen().length;
    const any = $("result-party").querySelector("input[type=checkbox]");
    chooseBtn.hidden = !any || !current || !current.code;
    chooseBtn.disabled = n === 0;
    chooseBtn.textContent = fmt(T.admitChosen, n);
  }

  function show(kind, title, detail, booking, choosing, justIn) {
    result.className = "result " + kind;
    $("result-title").textContent = title;
    $("result-detail").textContent = detail || "";
    showParty(booking, !!choosing, justIn);
    beep(kind);
  }

  // Which colour a refusal gets: amber when waiting will do, red otherwise.
  const amber = new Set(["wrong_time", "flow_limited", "rate_limited", "unavailable"]);

  function answer(r) {
    if (r.status === 200 || r.status === 201) {
      const b = r.data.booking;
      const now = (r.data.admitted_now || []).map((v) => v.position);
      const n = now.length || b.party_size;
      show("green", T.admitted + " · " + n + " " + T.people, T.gate + " " + r.data.gate, b, false, now);
      showOccupancy(r.data.occupancy);
      return;
    }
    const p = r.data || {};
    let detail = p.detail || "";
    if (p.retry_after && !detail) detail = p.retry_after + " s";
    show(amber.has(p.code) ? "amber" : "red", p.title || String(r.status), detail, p.booking, false);
  }

  function needGate() {
    if (gate.value.trim()) return false;
    show("amber", T.needGate, "", null);
    gate.focus();
    return true;
  }

  // What was entered: an 18-character resident ID (a card reader types it
  // and Enter), a booking number of 8 to 12 digits, or a code.
  function classify(text) {
    const kind = $("kind").value;
    if (kind !== "auto") return kind;
    const t = text.replace(/\s+/g, "");
    if (/^\d{17}[\dXx]$/.test(t)) return "id_number";
    if (/^\d{8,12}$/.test(t)) return "number";
    return "code";
  }

  let busy = false;
  async function admit(key, visitors) {
    // A retry of this request (a flaky network) gets the same answer.
    const requestId = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
    const body = Object.assign({ gate: gate.value.trim(), venue: venue.value, request_id: requestId }, key);
    if (visitors) body.visitors = visitors;
    try { return await api("POST", "/api/v1/admissions", body); } catch (_) { return await api("POST", "/api/v1/admissions", body); }
  }

  // Choosing first: the party is shown with every person outside ticked,
  // and nobody enters until staff press the button.
  async function preview(kind, text) {
    let b = null;
    if (kind === "number") {
      const day = venue.selectedOptions[0].dataset.today;
      const r = await api("GET", "/api/v1/admin/bookings?venue=" + encodeURIComponent(venue.value) + "&date=" + day + "&q=" + encodeURIComponent(text));
      if (r.status === 200) b = (r.data || []).find((x) => x.number === text) || null;
      if (b) {
        // The desk answers without the code: admit by number.
        b.code = b.code || "";
        b.byNumber = text;
      }
    } else {
      const r = await api("GET", "/api/v1/bookings/" + encodeURIComponent(text));
      if (r.status === 200) b = r.data;
    }
    if (!b) { show("red", T.notFound, "", null); return; }
    show("idle", T.chooseTitle, b.number ? "No. " + b.number : "", b, true);
    if (b.byNumber) { current.code = "n:" + b.byNumber; updateChosen(); }
  }

  async function check(text) {
    text = text.trim();
    if (!text || busy || needGate()) return;
    busy = true;
    try {
      const kind = classify(text);
      const value = kind === "code" ? text : text.replace(/\s+/g, "");
      if ($("choose").checked && kind !== "id_number") {
        await preview(kind, value);
      } else {
        answer(await admit({ [kind]: value }));
      }
    } catch (e) {
      if (e.message !== "signed out") show("amber", T.offline, "", null);
    } finally {
      busy = false;
      code.value = "";
      code.focus();
    }
  }

  $("scan-form").addEventListener("submit", (e) => { e.preventDefault(); check(code.value); });

  chooseBtn.addEventListener("click", async () => {
    if (!current || busy || needGate()) return;
    const visitors = chosen();
    if (!visitors.length) return;
    busy = true;
    try {
      const key = current.code.startsWith("n:") ? { number: current.code.slice(2) } : { code: current.code };
      answer(await admit(key, visitors));
    } catch (e) {
      if (e.message !== "signed out") show("amber", T.offline, "", null);
    } finally {
      busy = false;
      code.focus();
    }
  });

  // An exit press says what it did: counted out, with the people inside,
  // or refused when nobody is left to count out.
  let exitTimer;
  $("exit").addEventListener("click", async () => {
    if (needGate()) return;
    const note = $("exit-note");
    try {
      const r = await api("POST", "/api/v1/venues/" + venue.value + "/exits", { gate: gate.value.trim(), count: 1 });
      note.hidden = false;
      if (r.status === 200) {
        showOccupancy(r.data);
        note.className = "exit-note ok";
        note.textContent = fmt(T.exited, r.data.inside);
      } else {
        note.className = "exit-note bad";
        note.textContent = (r.data && (r.data.detail || r.data.title)) || String(r.status);
        beep("red");
      }
      clearTimeout(exitTimer);
      exitTimer = setTimeout(() => { note.hidden = true; }, 4000);
    } catch (_) { show("amber", T.offline, "", null); }
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
    } catch (_) { show("red", T.noCamera, "", null); return; }
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
    } catch (_) { show("amber", T.offline, "", null); }
  });
})();
