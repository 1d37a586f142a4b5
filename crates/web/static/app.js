// Keyboard shortcuts for the alert queue and the alert page. The pages work without this
// script; it only adds keys. Served from our own origin (the CSP allows no inline script).
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }
  function queue() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr"));
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        rows.forEach(function (r) { var c = r.querySelector("input[type=checkbox]"); if (c) { c.checked = all.checked; } });
      });
    }
    var at = -1;
    function move(by) {
      if (!rows.length) { return; }
      if (at >= 0) { rows[at].classList.remove("current"); }
      at = Math.max(0, Math.min(rows.length - 1, at + by));
      rows[at].classList.add("current");
      rows[at].scrollIntoView({ block: "nearest" });
    }
    return function (e) {
      if (e.key === "j") { move(1); } else if (e.key === "k") { move(-1); }
      else if (e.key === "Enter" && at >= 0) { window.location = rows[at].getAttribute("data-href"); }
      else if (e.key === "x" && at >= 0) { var c = rows[at].querySelector("input[type=checkbox]"); if (c) { c.checked = !c.checked; } }
      else { return false; }
      return true;
    };
  }
  function alertPage() {
    return function (e) {
      var id = { c: "claim", r: "release" }[e.key];
      var b = id && document.getElementById(id);
      if (b) { b.click(); return true; }
      return false;
    };
  }
  document.addEventListener("DOMContentLoaded", function () {
    var handler = document.getElementById("queue") ? queue() : alertPage();
    document.addEventListener("keydown", function (e) {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (e.key === "?") { var h = document.querySelector(".hint"); if (h) { h.classList.toggle("show"); } return; }
      if (handler(e)) { e.preventDefault(); }
    });
  });
})();
