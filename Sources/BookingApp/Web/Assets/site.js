// Countdowns to a hold's or offer's expiry: every element with data-expires (ISO-8601) shows the time left
// and, at zero, that it has expired. The page works without this; the server decides expiry.
(function () {
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      var ms = Date.parse(el.getAttribute("data-expires")) - now;
      var left = Math.ceil(ms / 1000);
      if (ms <= 0) {
        el.textContent = "expired";
        el.classList.add("expired");
        var row = el.closest("[data-hold]");
        if (row) row.querySelectorAll("button[data-needs-live]").forEach(function (b) { b.disabled = true; });
        return;
      }
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = m + ":" + (s < 10 ? "0" : "") + s + " left";
    });
  }
  tick();
  setInterval(tick, 250);
})();
