// The admin pages' script. The server renders what there is; this script
// changes it through the JSON API under /api/v1/admin with the session
// cookie and the CSRF header, and puts each answer, or each error, next to
// what it concerns. The words it shows come from the page (data-texts).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const lang = body.dataset.lang || "zh";
  const T = body.dataset.texts ? JSON.parse(body.dataset.texts) : {};
  const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )slotgate_csrf=([^;]+)/) || [])[1] || "");

  // fmt fills %d and %s in order, as the server's texts are written.
  const fmt = (s, ...args) => { let i = 0; return String(s || "").replace(/%[ds]/g, () => String(args[i++])); };

  async function api(method, path, data) {
    const res = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf, "Accept-Language": lang },
      body: data === undefined ? undefined : JSON.stringify(data),
    });
    if (res.status === 401) {
      location.href = "/staff/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new Error("signed out");
    }
    let out = {};
    try { out = await res.json(); } catch (_) { /* an empty answer */ }
    return { status: res.status, data: out, headers: res.headers };
  }

  // --- Errors next to their fields ---

  function clearErrors(scope) {
    scope.querySelectorAll(".err[data-err-for]").forEach((e) => { e.textContent = ""; });
    scope.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  }

  // errorSlot is where a field's error goes: the API names fields as the
  // form does ("name.zh", "venues[1]" for the second venue).
  function errorSlot(scope, field) {
    const names = [field, field.replace(/\[\d+\]$/, "")];
    for (const n of names) {
      const el = scope.querySelector('.err[data-err-for~="' + CSS.escape(n) + '"]');
      if (el) return el;
    }
    return null;
  }

  // fieldOf is the input an error element describes.
  function fieldOf(scope, errEl) {
    const owner = scope.querySelector('[aria-describedby~="' + CSS.escape(errEl.id) + '"]');
    if (owner && owner.tagName === "FIELDSET") return owner.querySelector("input, select");
    return owner;
  }

  function markField(scope, errEl, message) {
    errEl.textContent = errEl.textContent ? errEl.textContent + "；" + message : message;
    const f = fieldOf(scope, errEl);
    if (f) f.setAttribute("aria-invalid", "true");
    return f;
  }

  // showProblem puts a refusal's field errors next to their fields and the
  // rest in summary (or in the first error slot); it focuses the first
  // field in error and returns whether any field took an error.
  function showProblem(scope, problem, summary) {
    const left = [];
    let first = null;
    for (const e of problem.errors || []) {
      const slot = errorSlot(scope, e.field);
      if (!slot) { left.push(e.field + ": " + e.message); continue; }
      const f = markField(scope, slot, e.message);
      first = first || f;
    }
    if (!(problem.errors || []).length) left.push(problem.detail || problem.title || String(problem.status || ""));
    if (summary) {
      summary.textContent = "";
      const n = (problem.errors || []).length;
      const lines = n && T.fix ? [fmt(T.fix, n)].concat(left) : left;
      for (const line of lines) { const p = document.createElement("p"); p.textContent = line; summary.appendChild(p); }
      summary.hidden = lines.length === 0;
      if (!first && lines.length) summary.focus();
    }
    if (first) first.focus();
    return first !== null;
  }

  function problemText(p) {
    if (p.errors && p.errors.length) return p.errors.map((e) => e.message).join("；");
    return p.detail || p.title || "";
  }

  // --- A venue's settings ---

  function venuePage() {
    const form = $("venue-form");
    const summary = $("form-errors"), state = $("save-state"), result = $("form-result");
    if (new URLSearchParams(location.search).get("created") === "1") {
      $("result-text").textContent = T.created;
      result.hidden = false;
    }
    const setPath = (obj, name, value) => {
      const parts = name.split(".");
      let o = obj;
      for (const p of parts.slice(0, -1)) o = o[p] = o[p] || {};
      o[parts[parts.length - 1]] = value;
    };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      summary.hidden = true;
      const data = {};
      let bad = 0, first = null;
      for (const el of form.querySelectorAll("[data-kind]")) {
        const v = el.value.trim();
        let value = v, problem = "";
        if (el.required && v === "") problem = T.required;
        else if (el.dataset.kind === "int" && !/^\d+$/.test(v)) problem = T.int;
        else if (el.dataset.kind === "time" && !/^\d{2}:\d{2}$/.test(v)) problem = T.time;
        if (problem) {
          bad++;
          markField(form, $(el.id + "-err"), problem);
          first = first || el;
          continue;
        }
        if (el.dataset.kind === "int") value = parseInt(v, 10);
        if (el.name === "reason") { data.reason = v; continue; }
        setPath(data, el.name, value);
      }
      data.closed_weekdays = [...form.querySelectorAll('input[name="closed_weekdays"]:checked')].map((c) => Number(c.value));
      if (bad) {
        summary.textContent = fmt(T.fix, bad);
        summary.hidden = false;
        first.focus();
        return;
      }
      const button = $("save-venue");
      button.disabled = true;
      state.textContent = T.saving;
      let r;
      try {
        r = await api(form.dataset.method, form.dataset.action, data);
      } catch (err) {
        state.textContent = err.message === "signed out" ? "" : T.offline;
        return;
      } finally {
        button.disabled = false;
      }
      state.textContent = "";
      if (r.status === 201) {
        location.href = "/admin/venues/" + encodeURIComponent(r.data.slug) + "?created=1";
        return;
      }
      if (r.status === 200) {
        const ch = r.data.schedule || {};
        $("result-text").textContent = T.saved + " " + fmt(T.added, ch.slots_added || 0, ch.slots_removed || 0);
        const kept = $("result-kept"), keptNote = $("result-kept-note");
        kept.textContent = "";
        keptNote.textContent = T.kept;
        keptNote.hidden = !(ch.booked_slots_kept || []).length;
        if ((ch.booked_slots_kept || []).length) {
          for (const s of ch.booked_slots_kept) {
            const item = document.createElement("li");
            const a = document.createElement("a");
            a.href = "/admin/venues/" + encodeURIComponent(r.data.venue.slug) + "/days/" + s.date;
            a.textContent = fmt(T.keptRow, s.date, s.start.slice(11, 16) + "–" + s.end.slice(11, 16), s.booked);
            item.appendChild(a);
            kept.appendChild(item);
          }
        }
        result.hidden = false;
        result.focus();
        return;
      }
      if (r.status === 409 && form.dataset.new) {
        markField(form, $("f-slug-err"), r.data.detail || T.conflict);
        $("f-slug").focus();
        return;
      }
      showProblem(form, r.data, summary);
    });
  }

  // --- A venue's day ---

  function dayPage() {
    const table = $("day");
    if (!table) return;
    const rows = () => [...table.querySelectorAll("tr.slot")];
    const cell = (row, cls) => row.querySelector("." + cls);

    // statusOf names a slot's state as the server does on the page: what an
    // admin decided first, then the time of day, then whether it is full.
    function statusOf(row, s) {
      if (s.status && s.status !== "open") return s.status;
      if (row.dataset.phase) return row.dataset.phase;
      return s.booked >= s.quota ? "full" : "open";
    }

    function applySlot(row, s) {
      const editing = !$("edit-" + row.dataset.slot).hidden;
      row.dataset.quota = s.quota;
      row.dataset.booked = s.booked;
      const input = cell(row, "quota-in");
      if (!editing) input.value = s.quota;
      const st = statusOf(row, s);
      cell(row, "booked").textContent = s.booked;
      // A slot that sells nothing has nothing left, whatever its quota says.
      cell(row, "remaining").textContent = ["closed", "frozen", "flagged"].includes(st) ? 0 : s.remaining;
      if (s.admitted !== undefined) cell(row, "admitted").textContent = s.admitted;
      if (s.no_shows !== undefined) cell(row, "noshows").textContent = s.no_shows;
      if (s.manual_quota !== undefined) cell(row, "manual").hidden = !s.manual_quota;
      row.classList.forEach((c) => { if (c.startsWith("st-")) row.classList.remove(c); });
      row.classList.add("st-" + st);
      row.querySelector(".pill").textContent = T["status." + st] || st;
      if (st === "closed") {
        input.disabled = true;
        const opt = document.querySelector('#cl-scope option[value="' + row.dataset.slot + '"]');
        if (opt) opt.remove();
      }
    }

    function totals() {
      const sum = { quota: 0, booked: 0, admitted: 0, noshows: 0, remaining: 0 };
      for (const row of rows()) {
        sum.quota += Number(row.dataset.quota);
        for (const k of ["booked", "admitted", "noshows", "remaining"]) sum[k] += Number(cell(row, k).textContent) || 0;
      }
      const foot = table.querySelector("tr.total");
      foot.querySelector(".quota").textContent = sum.quota;
      for (const k of ["booked", "admitted", "noshows", "remaining"]) cell(foot, k).textContent = sum[k];
    }

    async function refresh() {
      try {
        const r = await api("GET", table.dataset.api);
        if (r.status !== 200) return;
        for (const s of r.data) {
          const row = $("slot-" + s.id);
          if (row) applySlot(row, s);
        }
        totals();
      } catch (_) { /* the page keeps what it shows */ }
    }

    for (const row of rows()) {
      const id = row.dataset.slot;
      const input = cell(row, "quota-in"), edit = $("edit-" + id), err = $("err-" + id);
      const reason = $("reason-" + id), saveBtn = edit.querySelector(".save-quota"), cancelBtn = edit.querySelector(".cancel-quota");
      const freezeBtn = edit.querySelector(".freeze-quota"), saved = cell(row, "saved");
      const reset = () => {
        err.textContent = "";
        freezeBtn.hidden = true;
        input.removeAttribute("aria-invalid");
        reason.removeAttribute("aria-invalid");
      };
      const close = () => { edit.hidden = true; row.classList.remove("changed"); reset(); };
      input.addEventListener("input", () => {
        const changed = input.value !== row.dataset.quota;
        edit.hidden = !changed;
        row.classList.toggle("changed", changed);
        saved.textContent = "";
        reset();
      });
      async function save(freeze) {
        reset();
        const q = input.value.trim();
        if (!/^\d+$/.test(q)) { err.textContent = T.int; input.setAttribute("aria-invalid", "true"); input.focus(); return; }
        if (!reason.value.trim()) { err.textContent = T.reason; reason.setAttribute("aria-invalid", "true"); reason.focus(); return; }
        saveBtn.disabled = freezeBtn.disabled = true;
        let r;
        try {
          r = await api("PUT", "/api/v1/admin/slots/" + id + "/quota", { quota: Number(q), reason: reason.value.trim(), freeze: !!freeze });
        } catch (e) {
          if (e.message !== "signed out") err.textContent = T.offline;
          return;
        } finally {
          saveBtn.disabled = freezeBtn.disabled = false;
        }
        if (r.status === 200) {
          close();
          reason.value = "";
          cell(row, "manual").hidden = false;
          applySlot(row, r.data);
          totals();
          saved.textContent = "✓ " + T.saved;
          return;
        }
        err.textContent = problemText(r.data);
        if (r.data.code === "below_booked") {
          freezeBtn.textContent = fmt(T.freeze, q);
          freezeBtn.hidden = false;
        } else {
          input.setAttribute("aria-invalid", "true");
        }
      }
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); if (!edit.hidden) { if (reason.value.trim()) save(false); else reason.focus(); } }
        if (e.key === "Escape" && !edit.hidden) { input.value = row.dataset.quota; close(); }
      });
      reason.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); save(false); }
        if (e.key === "Escape") { input.value = row.dataset.quota; close(); input.focus(); }
      });
      saveBtn.addEventListener("click", () => save(false));
      freezeBtn.addEventListener("click", () => save(true));
      cancelBtn.addEventListener("click", () => { input.value = row.dataset.quota; close(); input.focus(); });
    }

    const dayForm = $("day-quota");
    if (dayForm) {
      dayForm.addEventListener("submit", async (e) => {
        e.preventDefault();
        clearErrors(dayForm);
        const note = $("dq-result");
        note.textContent = "";
        note.classList.remove("bad");
        const q = $("dq-quota").value.trim(), why = $("dq-reason").value.trim();
        let first = null;
        if (!/^\d+$/.test(q)) first = markField(dayForm, $("dq-quota-err"), T.int);
        if (!why) first = first || markField(dayForm, $("dq-reason-err"), T.reason);
        if (first) { first.focus(); return; }
        let r;
        try {
          r = await api("PUT", dayForm.dataset.api, { quota: Number(q), reason: why, freeze: $("dq-freeze").checked });
        } catch (_) { note.textContent = T.offline; note.classList.add("bad"); return; }
        if (r.status !== 200) { showProblem(dayForm, r.data, null) || (note.textContent = problemText(r.data)); return; }
        const refused = r.data.filter((x) => x.error).map((x) => { const row = $("slot-" + x.slot.id); return row ? row.dataset.time : String(x.slot.id); });
        let msg = fmt(T.dayDone, r.data.length - refused.length);
        if (refused.length) { msg += " " + fmt(T.dayRefused, refused.join("、")); note.classList.add("bad"); }
        note.textContent = msg;
        await refresh();
      });
    }

    const closure = $("closure");
    if (closure) {
      const scope = $("cl-scope"), why = $("cl-reason"), confirmBox = $("close-confirm"), note = $("close-result");
      closure.addEventListener("submit", (e) => {
        e.preventDefault();
        clearErrors(closure);
        note.textContent = "";
        if (!why.value.trim()) { markField(closure, $("cl-reason-err"), T.reason).focus(); return; }
        const id = scope.value;
        const affected = id === "0" ? rows() : rows().filter((r) => r.dataset.slot === id);
        const people = affected.reduce((n, r) => n + Math.max(Number(r.dataset.booked) - (Number(cell(r, "admitted").textContent) || 0), 0), 0);
        $("close-confirm-text").textContent = id === "0"
          ? fmt(T.confirmDay, table.dataset.name, table.dataset.dateLabel, affected.length, people)
          : fmt(T.confirmOne, table.dataset.name, table.dataset.dateLabel, scope.selectedOptions[0].textContent, people);
        confirmBox.hidden = false;
        confirmBox.focus();
      });
      $("close-no").addEventListener("click", () => { confirmBox.hidden = true; $("close-ask").focus(); });
      $("close-yes").addEventListener("click", async () => {
        const id = Number(scope.value);
        const data = { date: closure.dataset.date, reason: why.value.trim() };
        if (id) data.slot_id = id;
        let r;
        try { r = await api("POST", closure.dataset.api, data); } catch (_) { note.textContent = T.offline; return; }
        confirmBox.hidden = true;
        if (r.status !== 200) { if (!showProblem(closure, r.data, null)) { note.textContent = problemText(r.data); note.classList.add("bad"); } return; }
        note.classList.remove("bad");
        note.textContent = fmt(T.closed, r.data.slots_closed, r.data.bookings_cancelled, r.data.people_notified);
        why.value = "";
        await refresh();
      });
    }
  }

  // --- Staff accounts ---

  function usersPage() {
    const flash = $("flash");
    const saved = sessionStorage.getItem("slotgate.flash");
    if (saved) {
      sessionStorage.removeItem("slotgate.flash");
      flash.textContent = saved;
      flash.hidden = false;
    }
    for (const row of document.querySelectorAll("tr.user")) {
      const user = row.dataset.user;
      const path = "/api/v1/admin/users/" + encodeURIComponent(user);
      const note = row.querySelector(".result-note");
      const toggle = row.querySelector(".toggle-user");
      const say = (msg, bad) => { note.textContent = msg; note.classList.toggle("bad", !!bad); };
      const own = row.querySelector('.user-password[data-self="1"]');
      if (own) {
        // One's own password: every session ends with the change, this one too.
        own.addEventListener("submit", async (e) => {
          e.preventDefault();
          clearErrors(own);
          let r;
          try { r = await api("POST", path + "/password", { password: own.elements.password.value }); } catch (_) { say(T.offline, true); return; }
          if (r.status !== 204) { if (!showProblem(own, r.data, null)) say(problemText(r.data), true); return; }
          location.assign("/staff/login?next=" + encodeURIComponent("/admin/users"));
        });
      }
      if (!toggle) continue;
      toggle.addEventListener("click", async () => {
        const disable = toggle.dataset.disabled !== "1";
        const errEl = toggle.nextElementSibling;
        errEl.textContent = "";
        let r;
        try { r = await api("PUT", path, { disabled: disable }); } catch (_) { say(T.offline, true); return; }
        if (r.status !== 200) { errEl.textContent = problemText(r.data); return; }
        toggle.dataset.disabled = r.data.disabled ? "1" : "0";
        toggle.textContent = r.data.disabled ? T.enable : T.disable;
        row.classList.toggle("disabled", r.data.disabled);
        row.querySelector(".state").textContent = r.data.disabled ? T.disabled : T.enabled;
        say(T.saved);
      });
      const venuesForm = row.querySelector(".user-venues");
      venuesForm.addEventListener("submit", async (e) => {
        e.preventDefault();
        clearErrors(venuesForm);
        const role = venuesForm.elements.role.value;
        const boxes = [...venuesForm.querySelectorAll('input[name="venues"]:checked')];
        if (role === "staff" && !boxes.length) { markField(venuesForm, venuesForm.querySelector(".err"), T.venues); return; }
        let r;
        try { r = await api("PUT", path, { role, venues: boxes.map((b) => b.value) }); } catch (_) { say(T.offline, true); return; }
        if (r.status !== 200) { if (!showProblem(venuesForm, r.data, null)) say(problemText(r.data), true); return; }
        row.dataset.role = r.data.role;
        row.children[1].textContent = venuesForm.elements.role.selectedOptions[0].textContent;
        row.querySelector(".venue-names").textContent = r.data.role === "admin" ? (T.allVenues || "") : boxes.map((b) => b.parentElement.textContent.trim()).join(lang === "en" ? ", " : "、");
        say(T.saved);
      });
      const pwForm = row.querySelector(".user-password");
      pwForm.addEventListener("submit", async (e) => {
        e.preventDefault();
        clearErrors(pwForm);
        let r;
        try { r = await api("POST", path + "/password", { password: pwForm.elements.password.value }); } catch (_) { say(T.offline, true); return; }
        if (r.status !== 204) { if (!showProblem(pwForm, r.data, null)) say(problemText(r.data), true); return; }
        pwForm.reset();
        say(T.reset);
      });
    }
    const add = $("add-user");
    add.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(add);
      const summary = $("add-errors");
      summary.hidden = true;
      const data = {
        username: add.elements.username.value.trim(), password: add.elements.password.value, role: add.elements.role.value,
        venues: [...add.querySelectorAll('input[name="venues"]:checked')].map((b) => b.value),
      };
      let r;
      try { r = await api("POST", "/api/v1/admin/users", data); } catch (_) { summary.textContent = T.offline; summary.hidden = false; return; }
      if (r.status === 201) {
        sessionStorage.setItem("slotgate.flash", fmt(T.added, r.data.username));
        location.reload();
        return;
      }
      if (r.status === 409) { markField(add, $("nu-username-err"), r.data.detail || r.data.title).focus(); return; }
      showProblem(add, r.data, summary);
    });
  }

  window.slotgateAdmin = { api, fmt, T, lang };
  const pages = { venue: venuePage, day: dayPage, users: usersPage };
  if (pages[body.dataset.page]) pages[body.dataset.page]();
})();
