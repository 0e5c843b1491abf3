// Meria staff portal: small progressive enhancements. Everything works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var field = document.querySelector("input[name=csrftoken]");
    return field ? field.value : "";
  }

  // Live preview of Markdown beside the text, rendered (and sanitised) by the portal.
  function watchPreview(area) {
    var target = document.getElementById(area.dataset.preview);
    if (!target) return;
    var timer = null;
    function refresh() {
      var body = new FormData();
      body.append("text", area.value);
      fetch("/preview", {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "x-csrftoken": csrfToken() }
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html !== null) target.innerHTML = html;
      }).catch(function () {});
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
    if (area.value) refresh();
  }
  document.querySelectorAll("textarea[data-preview]").forEach(watchPreview);

  // Lists that refresh themselves, keeping the filters (they are in the address).
  var refreshing = document.querySelector("[data-refresh]");
  var live = document.getElementById("live");
  if (refreshing && live) {
    var seconds = Math.max(2, parseInt(refreshing.dataset.refresh, 10) || 15);
    setInterval(function () {
      if (document.hidden || live.contains(document.activeElement)) return;
      fetch(window.location.href, { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (fresh && fresh.innerHTML !== live.innerHTML) live.innerHTML = fresh.innerHTML;
      }).catch(function () {});
    }, seconds * 1000);
  }

  // Move focus to a refused form's summary so a screen reader hears it first.
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
