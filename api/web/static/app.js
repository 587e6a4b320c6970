// slotgate visitor pages: small improvements on pages that work without
// this script. Every word shown comes from the page (data-texts), so the
// script holds no text of its own and speaks the page's language.
(function () {
  "use strict";

  function texts(el) {
    try { return JSON.parse(el.getAttribute("data-texts") || "{}"); } catch (e) { return {}; }
  }

  // barWidth mirrors the server's: remaining of quota in steps of five,
  // at least a sliver while any place is left.
  function barWidth(remaining, quota) {
    if (quota <= 0 || remaining <= 0) return 0;
    var w = Math.floor((Math.floor(remaining * 100 / quota) + 2) / 5) * 5;
    return Math.min(Math.max(w, 5), 100);
  }

  // Live places on a venue's day: ask the API every 15 s while the page is seen.
  function liveSlots(list) {
    var t = texts(list);
    function apply(slots) {
      slots.forEach(function (s) {
        var li = list.querySelector('[data-slot="' + s.id + '"]');
        if (!li) return;
        var level = s.status === "open" ? (s.remaining * 5 < s.quota ? "low" : "high") : "";
        li.className = "slot " + s.status + (level ? " " + level : "");
        var label = s.status === "open" ? t[level === "low" ? "low" : "open"] : t[s.status];
        var state = li.querySelector(".slot-state");
        var off = li.querySelector(".slot-off");
        if (label && state) state.textContent = label;
        if (label && off) off.textContent = label;
        var count = li.querySelector(".slot-count");
        var text = s.status === "closed" || s.status === "past" || s.status === "not_yet_open" ? "" :
          (t.remaining || "%d / %d").replace("%d", s.remaining).replace("%d", s.quota);
        if (count && count.textContent !== text) count.textContent = text;
        var fill = li.querySelector(".fill");
        if (fill) fill.className = "fill w" + barWidth(s.remaining, s.quota);
        var book = li.querySelector(".slot-book");
        if (book) book.hidden = s.status !== "open";
        if (off) off.hidden = s.status === "open";
      });
    }
    function refresh() {
      if (document.hidden || !window.fetch) return;
      fetch(list.getAttribute("data-live"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (slots) { if (Array.isArray(slots)) apply(slots); })
        .catch(function () { /* the numbers on the page stay; the next tick tries again */ });
    }
    setInterval(refresh, 15000);
    document.addEventListener("visibilitychange", refresh);
  }

  // Resident ID numbers: GB 11643 shape, region and check character.
  var weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var checkChars = "10X98765432";
  var regions = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split(" ");
  var patterns = {
    passport: /^[A-Z0-9]{5,17}$/,
    hk_macau_permit: /^[HM][0-9]{8}([0-9]{2})?$/,
    taiwan_permit: /^[0-9]{8}([0-9]{2})?$/
  };

  // idFeedback says what is wrong with a number, "" while it may still be
  // right once typed in full, or t.ok when it is complete and right.
  function idFeedback(type, raw, t, final) {
    var n = raw.replace(/\s+/g, "").toUpperCase();
    if (n === "") return "";
    if (type === "resident_id") {
      if (!/^[0-9]{0,17}[0-9X]?$/.test(n) || n.length > 18) return t.format;
      if (n.length < 18) return final ? t.format : "";
      if (regions.indexOf(n.slice(0, 2)) < 0) return t.region;
      var sum = 0;
      for (var i = 0; i < 17; i++) sum += (n.charCodeAt(i) - 48) * weights[i];
      return checkChars.charAt(sum % 11) === n.charAt(17) ? t.ok : t.checkDigit;
    }
    var p = patterns[type];
    if (!p || !final) return "";
    return p.test(n) ? "" : t.format;
  }

  function bookingForm(form) {
    var t = texts(form);
    var max = parseInt(form.getAttribute("data-max"), 10) || 5;
    var box = document.getElementById("visitors");
    var tpl = document.getElementById("visitor-template");
    var add = document.getElementById("add-visitor");
    var submit = document.getElementById("submit");
    var sizeLinks = form.querySelectorAll(".size-opt");

    function rows() { return box.querySelectorAll("[data-row]"); }

    function check(input, final) {
      var row = input.closest("[data-row]");
      var type = row.querySelector("[data-idtype]").value;
      var err = document.getElementById(input.id + "-err");
      var msg = idFeedback(type, input.value, t, final);
      if (!err) return;
      err.textContent = msg;
      var ok = msg !== "" && msg === t.ok;
      err.classList.toggle("ok", ok);
      var field = input.closest(".field");
      field.classList.toggle("invalid", msg !== "" && !ok);
      if (msg !== "" && !ok) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    }

    // renumber keeps names, ids and labels in step with the rows' order.
    function renumber() {
      var list = rows();
      Array.prototype.forEach.call(list, function (row, i) {
        row.querySelectorAll("[id],[for],[name],[aria-describedby]").forEach(function (el) {
          ["id", "for", "name", "aria-describedby"].forEach(function (a) {
            var v = el.getAttribute(a);
            if (v === null) return;
            el.setAttribute(a, v.replace(/v(\d+|__I__)-/g, "v" + i + "-").replace(/visitors\[(\d+|__I__)\]/g, "visitors[" + i + "]"));
          });
        });
        row.querySelector("legend").textContent = (t.visitor || "%d").replace("%d", i + 1);
        var rm = row.querySelector("[data-remove]");
        rm.textContent = (t.remove || "%d").replace("%d", i + 1);
        rm.hidden = list.length < 2;
      });
      add.hidden = list.length >= max;
      sizeLinks.forEach(function (a) {
        var on = parseInt(a.getAttribute("data-n"), 10) === list.length;
        a.classList.toggle("sel", on);
        if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      });
      if (window.history && history.replaceState) {
        var u = new URL(location.href);
        u.searchParams.set("n", list.length);
        history.replaceState(null, "", u.pathname + u.search);
      }
    }

    function addRow() {
      if (rows().length >= max) return null;
      var holder = document.createElement("div");
      holder.innerHTML = tpl.innerHTML.trim();
      var row = holder.firstElementChild;
      box.appendChild(row);
      renumber();
      return row;
    }

    function setSize(n) {
      while (rows().length < n) addRow();
      while (rows().length > n && rows().length > 1) box.removeChild(rows()[rows().length - 1]);
      renumber();
    }

    sizeLinks.forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        setSize(parseInt(a.getAttribute("data-n"), 10));
        a.focus();
      });
    });
    add.addEventListener("click", function () {
      var row = addRow();
      if (row) row.querySelector("input").focus();
    });
    box.addEventListener("click", function (ev) {
      var rm = ev.target.closest("[data-remove]");
      if (!rm) return;
      var row = rm.closest("[data-row]");
      var next = row.nextElementSibling || row.previousElementSibling;
      box.removeChild(row);
      renumber();
      (next ? next.querySelector("input") : add).focus();
    });
    box.addEventListener("input", function (ev) {
      if (ev.target.hasAttribute("data-idnumber")) check(ev.target, false);
    });
    box.addEventListener("change", function (ev) {
      var row = ev.target.closest("[data-row]");
      if (row) check(row.querySelector("[data-idnumber]"), true);
    });

    // One press, one booking: the form's Idempotency-Key makes a second
    // post harmless, and this spares the visitor the wait for it.
    var label = submit.textContent;
    form.addEventListener("submit", function (ev) {
      if (form.getAttribute("data-sent")) { ev.preventDefault(); return; }
      // The check digit is checked here first: a wrong number is pointed
      // at before the round trip, and the page keeps everything typed.
      var wrong = null;
      box.querySelectorAll("[data-idnumber]").forEach(function (input) {
        check(input, true);
        if (!wrong && input.getAttribute("aria-invalid") === "true") wrong = input;
      });
      if (wrong) { ev.preventDefault(); wrong.focus(); return; }
      form.setAttribute("data-sent", "1");
      submit.setAttribute("aria-disabled", "true");
      submit.textContent = t.submitting || submit.textContent;
    });
    window.addEventListener("pageshow", function () {
      form.removeAttribute("data-sent");
      submit.removeAttribute("aria-disabled");
      submit.textContent = label;
    });
    renumber();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("slots");
    if (list && list.getAttribute("data-live")) liveSlots(list);
    var form = document.getElementById("book-form");
    if (form) bookingForm(form);
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
    var first = document.querySelector("[autofocus]");
    if (first && document.activeElement !== first) first.focus();
  });
})();
