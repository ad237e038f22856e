// Keeps lists and dashboards current without a reload: every 15 s, re-fetch this page and swap
// in the parts marked data-live, unless the person is typing in a form.
(function () {
  var live = document.querySelectorAll("[data-live]");
  if (!live.length) return;
  setInterval(function () {
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) return;
    fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (!html) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelectorAll("[data-live]");
      live.forEach(function (el, i) { if (fresh[i]) el.innerHTML = fresh[i].innerHTML; });
    }).catch(function () {});
  }, 15000);
})();
