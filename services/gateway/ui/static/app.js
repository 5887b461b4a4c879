// Dray UI: feeds the project's Server-Sent Events to htmx (each event triggers
// "stage-<name>", "promotion-<name>" or "freight" on the body, which the fragments listen
// to), sends the CSRF header on every change, encodes actions as JSON for the API, and shows
// what an action answered, explaining a refusal.
(function () {
  "use strict";
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function flash(text, bad) {
    var box = document.getElementById("flash");
    var el = document.createElement("div");
    el.className = "msg" + (bad ? " bad" : "");
    el.setAttribute("role", bad ? "alert" : "status");
    el.textContent = text;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, bad ? 15000 : 5000);
  }
  htmx.config.responseHandling = [{ code: "204", swap: false }, { code: "[23]..", swap: true },
    { code: "[45]..", swap: false, error: true }];
  htmx.defineExtension("dray-json", {
    onEvent: function (name, evt) {
      if (name === "htmx:configRequest") { evt.detail.headers["Content-Type"] = "application/json"; }
    },
    encodeParameters: function (xhr, parameters, elt) {
      var o = {}, bools = ((elt && elt.dataset.jsonBool) || "").split(/\s+/);
      // form.<field> inputs (a get-user-input form) travel as {"form": {"<field>": "<text>"}}.
      parameters.forEach(function (v, k) {
        if (k.indexOf("form.") === 0) { o.form = o.form || {}; o.form[k.slice(5)] = v; } else { o[k] = bools.indexOf(k) >= 0 ? v === "true" : v; }
      });
      xhr.overrideMimeType("text/json");
      return JSON.stringify(o);
    }
  });
  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-Dray-CSRF"] = cookie("dray_csrf");
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt, xhr = e.detail.xhr;
    if (!xhr) { return; }
    if (xhr.status >= 400 || xhr.status === 0) {
      var msg = xhr.status === 0 ? "The gateway cannot be reached; try again when it is back." : xhr.statusText;
      try { var body = JSON.parse(xhr.responseText); if (body.error) { msg = body.error; } } catch (_) {
        var d = new DOMParser().parseFromString(xhr.responseText || "", "text/html").querySelector(".error");
        if (d) { msg = d.textContent; }
      }
      flash((xhr.status === 403 ? "Not allowed: " : xhr.status ? "Refused (" + xhr.status + "): " : "") + msg, true);
      return;
    }
    if (elt.dataset && elt.dataset.done) {
      var text = elt.dataset.done;
      try { var r = JSON.parse(xhr.responseText); if (r.promotion) { text += ": " + r.promotion; } } catch (_) {}
      flash(text);
      if (elt.hasAttribute("data-close-on-done")) { document.getElementById("dialog").close(); }
    }
  });
  // The dialog opens once its content has settled, when htmx has wired its controls.
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target.id === "dialog-body") {
      var d = document.getElementById("dialog");
      if (!d.open) { d.showModal(); }
      var first = d.querySelector("input:checked, input, button"); if (first) { first.focus(); }
    }
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-close]")) { document.getElementById("dialog").close(); }
  });
  document.addEventListener("input", function (e) {
    var t = e.target;
    if (t.dataset.search !== undefined) {
      var q = t.value.trim().toLowerCase(), n = 0, first = null;
      document.querySelectorAll(t.dataset.search).forEach(function (el) {
        var hit = q !== "" && el.dataset.name.toLowerCase().indexOf(q) >= 0;
        el.classList.toggle("match", hit);
        el.classList.toggle("dim", q !== "" && !hit);
        if (hit) { n++; if (!first) { first = el; } }
      });
      document.querySelectorAll(".edges path[data-from]").forEach(function (p) { p.classList.toggle("dim", q !== ""); });
      // Stages a collapsed subtree or layer hides: links that expand what hides them
      var hidden = [], box = document.getElementById("hidden-matches");
      if (t.dataset.hidden && q !== "") {
        document.querySelectorAll(t.dataset.hidden).forEach(function (el) {
          if (el.dataset.name.toLowerCase().indexOf(q) >= 0) { hidden.push(el.dataset.name); }
        });
      }
      box.textContent = "";
      hidden.slice(0, 5).forEach(function (name) {
        var a = document.createElement("a");
        a.href = t.dataset.findHref + encodeURIComponent(name);
        a.textContent = "Show " + name;
        box.appendChild(a);
      });
      if (hidden.length > 5) { box.appendChild(document.createTextNode(" +" + (hidden.length - 5) + " more hidden")); }
      document.getElementById("search-count").textContent = q ? n + " found" + (hidden.length ? ", " + hidden.length + " hidden:" : "") : "";
      if (first) { first.scrollIntoView({ block: "center", inline: "center" }); }
    }
    if (t.dataset.zoom !== undefined) {
      var g = document.querySelector(t.dataset.zoom), k = t.value / 100;
      g.style.transform = "scale(" + k + ")";
      // the scroll box follows the scaled size, so a zoomed-out graph has no empty scroll
      g.style.marginRight = Math.ceil(g.offsetWidth * (k - 1)) + "px";
      g.style.marginBottom = Math.ceil(g.offsetHeight * (k - 1)) + "px";
    }
  });
  // A page opened to find a Stage (?find=) searches for it at once.
  var search = document.querySelector("input[data-search]");
  if (search && search.value) { search.dispatchEvent(new Event("input", { bubbles: true })); }
  // Drag a Freight (a chip of the strip, or the Freight a card holds) onto a Stage's card:
  // the Stage's promote dialog opens with it chosen and its preview shown, as Promote… does.
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var f = e.target.closest && e.target.closest("[data-freight]");
    if (!f) { return; }
    dragged = f.dataset.freight;
    e.dataTransfer.setData("application/x-dray-freight", dragged);
    e.dataTransfer.setData("text/plain", f.textContent.trim());
    e.dataTransfer.effectAllowed = "copy";
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.body.classList.remove("dragging");
    document.querySelectorAll(".drop-over").forEach(function (el) { el.classList.remove("drop-over"); });
  });
  function dropTarget(e) { return dragged && e.target.closest ? e.target.closest("[data-drop]") : null; }
  document.addEventListener("dragover", function (e) {
    var t = dropTarget(e);
    if (!t) { return; }
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    t.classList.add("drop-over");
  });
  document.addEventListener("dragleave", function (e) {
    var t = dropTarget(e);
    if (t && !t.contains(e.relatedTarget)) { t.classList.remove("drop-over"); }
  });
  document.addEventListener("drop", function (e) {
    var t = dropTarget(e);
    if (!t) { return; }
    e.preventDefault();
    t.classList.remove("drop-over");
    var name = e.dataTransfer.getData("application/x-dray-freight") || dragged;
    htmx.ajax("GET", t.dataset.drop + "?freight=" + encodeURIComponent(name), { target: "#dialog-body", swap: "innerHTML" });
  });
  // Pan the graph by dragging its background.
  document.querySelectorAll("[data-pan]").forEach(function (box) {
    var start = null;
    box.addEventListener("pointerdown", function (e) {
      if (e.button !== 0 || e.target.closest(".node, a, button, input")) { return; }
      start = { x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop };
      box.classList.add("panning");
    });
    box.addEventListener("pointermove", function (e) {
      if (!start) { return; }
      box.scrollLeft = start.left - (e.clientX - start.x);
      box.scrollTop = start.top - (e.clientY - start.y);
    });
    ["pointerup", "pointerleave"].forEach(function (n) {
      box.addEventListener(n, function () { start = null; box.classList.remove("panning"); });
    });
  });
  var url = document.body.dataset.events;
  if (url) {
    var live = document.getElementById("live");
    var es = new EventSource(url);
    es.onopen = function () { live.dataset.state = "live"; live.textContent = "live"; };
    es.onerror = function () { live.dataset.state = "down"; live.textContent = "reconnecting…"; };
    es.addEventListener("dray", function (m) {
      var ev = JSON.parse(m.data);
      if (ev.stage) { htmx.trigger(document.body, "stage-" + ev.stage); }
      if (ev.promotion) { htmx.trigger(document.body, "promotion-" + ev.promotion); }
      if (ev.freight) { htmx.trigger(document.body, "freight"); }
      document.body.dataset.lastEvent = ev.seq;
      document.dispatchEvent(new CustomEvent("dray:event", { detail: ev })); // for tests and benchmarks
    });
  }
})();
