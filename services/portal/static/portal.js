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
      // Chosen rows and a reason being written are the administrator's: not replaced.
      if (live.querySelector("input[name=case]:checked")) return;
      var typed = live.querySelector("textarea");
      if (typed && typed.value) return;
      fetch(window.location.href, { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (!fresh || fresh.innerHTML === live.innerHTML) return;
        // A part the reader opened stays open.
        var opened = Array.prototype.map.call(live.querySelectorAll("details[open][id]"),
          function (part) { return part.id; });
        live.innerHTML = fresh.innerHTML;
        opened.forEach(function (id) {
          var part = document.getElementById(id);
          if (part) part.open = true;
        });
      }).catch(function () {});
    }, seconds * 1000);
  }

  // The door's check-in: where the browser reads QR codes (BarcodeDetector) and has a
  // camera, a button reads the badge and sends the same form a typed code would.
  var scan = document.getElementById("scan");
  if (scan && "BarcodeDetector" in window && navigator.mediaDevices &&
      navigator.mediaDevices.getUserMedia) {
    scan.hidden = false;
    scan.addEventListener("click", function () {
      var video = document.getElementById("scanner");
      var status = document.getElementById("scan-status");
      var form = document.getElementById("check-in");
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
        .then(function (stream) {
          video.srcObject = stream;
          video.hidden = false;
          status.textContent = scan.dataset.scanning;
          return video.play().then(function () { look(stream); });
        })
        .catch(function () { status.textContent = scan.dataset.unavailable; });

      function look(stream) {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            form.elements.code.value = codes[0].rawValue;
            form.submit();
          } else {
            setTimeout(function () { look(stream); }, 250);
          }
        }).catch(function () { setTimeout(function () { look(stream); }, 500); });
      }
    });
  }

  // Move focus to a refused form's summary so a screen reader hears it first.
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
