// shale dashboard: keeps the page's live sections fresh without reloading,
// and asks before destructive actions. No framework, no third-party code.
(function () {
  "use strict";
  var every = 3000;
  var badge = document.getElementById("live");

  function editing(el) {
    var a = document.activeElement;
    return a && el.contains(a) && /INPUT|SELECT|TEXTAREA/.test(a.tagName);
  }

  function refresh() {
    var live = document.querySelectorAll("[data-live][id]");
    if (!live.length || document.hidden) return;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Live": "1" }, redirect: "manual" })
      .then(function (r) {
        if (r.type === "opaqueredirect" || r.status === 401) { location.href = location.pathname; return null; }
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        if (html == null) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        live.forEach(function (el) {
          var next = doc.getElementById(el.id);
          if (next && !editing(el) && next.innerHTML !== el.innerHTML) el.innerHTML = next.innerHTML;
        });
        if (badge) { badge.classList.remove("stale"); badge.textContent = "live"; }
      })
      .catch(function () {
        if (badge) { badge.classList.add("stale"); badge.textContent = "reconnecting"; }
      });
  }
  setInterval(refresh, every);

  document.addEventListener("submit", function (e) {
    var f = e.target;
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });
})();
