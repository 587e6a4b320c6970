// The desk and the calendar: cancelling persons at a visitor's request,
// and setting a special day, through the JSON API.
(function () {
  "use strict";
  const A = window.slotgateAdmin;
  if (!A) return;
  const T = A.T, fmt = A.fmt;

  // --- The desk ---
  const list = document.getElementById("desk-list");
  if (list) {
    list.addEventListener("click", async (e) => {
      const one = e.target.closest(".cancel-one"), all = e.target.closest(".cancel-all");
      if (!one && !all) return;
      const li = e.target.closest(".desk-booking");
      const err = li.querySelector(".err");
      err.textContent = "";
      let body;
      if (one) {
        if (!window.confirm(fmt(T.confirm1, one.dataset.name))) return;
        body = { visitors: [Number(one.closest("tr").dataset.position)] };
      } else {
        const n = li.querySelectorAll("tr.p-confirmed").length;
        if (!window.confirm(fmt(T.confirmA, n))) return;
        body = {};
      }
      const reason = window.prompt(T.reason, "");
      if (reason === null) return;
      body.reason = reason;
      const r = await A.api("POST", "/api/v1/admin/bookings/" + li.dataset.id + "/cancel", body);
      if (r.status === 200) { location.reload(); return; }
      err.textContent = (r.data && (r.data.detail || r.data.title)) || String(r.status);
    });
  }

  // --- The calendar ---
  const form = document.getElementById("special-day");
  if (form) {
    const open = document.getElementById("sd-open");
    const hours = [document.getElementById("sd-from"), document.getElementById("sd-to")];
    const sync = () => hours.forEach((h) => { h.disabled = open.value !== "true"; });
    open.addEventListener("change", sync);
    sync();
    document.querySelectorAll("#month td[data-date]:not(.past)").forEach((td) => {
      td.addEventListener("click", () => { document.getElementById("sd-date").value = td.dataset.date; document.getElementById("sd-date").focus(); });
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      form.querySelectorAll(".err").forEach((x) => { x.textContent = ""; });
      const date = document.getElementById("sd-date").value;
      const body = { open: open.value === "true", reason: document.getElementById("sd-reason").value.trim() };
      if (body.open) body.hours = { open: hours[0].value, close: hours[1].value };
      const r = await A.api("PUT", form.dataset.api + encodeURIComponent(date), body);
      const note = document.getElementById("sd-result");
      if (r.status === 200) {
        note.textContent = body.open ? fmt(T.opened, r.data.slots_created, r.data.slots_reopened) : fmt(T.closed, r.data.bookings_cancelled);
        setTimeout(() => location.reload(), 1200);
        return;
      }
      for (const f of (r.data && r.data.errors) || []) {
        const slot = form.querySelector('.err[data-err-for="' + f.field + '"]');
        if (slot) slot.textContent = f.message;
      }
      if (!(r.data && r.data.errors)) note.textContent = (r.data && (r.data.detail || r.data.title)) || String(r.status);
    });
  }
})();
