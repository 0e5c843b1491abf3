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

  // The library's upload: each file sent on its own, with a progress bar, and its result
  // (stored, or refused with the reason) read from the page the portal answers with.
  // Without script the same form sends all the files at once.
  var upload = document.getElementById("library-upload");
  if (upload && window.FormData && window.XMLHttpRequest && window.DOMParser) {
    upload.addEventListener("submit", function (event) {
      var files = Array.prototype.slice.call(upload.elements.files.files);
      if (!files.length) return;
      event.preventDefault();
      var bars = document.getElementById("upload-progress");
      var results = document.getElementById("upload-results");
      var list = document.getElementById("upload-list");
      var button = upload.querySelector("button[type=submit]");
      var action = new URL(upload.action, window.location.href);
      var submission = action.searchParams.get("submission") || "";
      bars.innerHTML = "";
      bars.hidden = false;
      button.disabled = true;
      var progress = files.map(function (file, index) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.id = "upload-name-" + index;
        name.textContent = file.name;
        var bar = document.createElement("progress");
        bar.max = 100;
        bar.value = 0;
        bar.setAttribute("aria-labelledby", name.id);
        item.appendChild(name);
        item.appendChild(bar);
        bars.appendChild(item);
        return bar;
      });

      function failed(file) {
        var item = document.createElement("li");
        item.className = "refused";
        var strong = document.createElement("strong");
        strong.textContent = file.name + ": " + upload.dataset.failed;
        item.appendChild(strong);
        list.appendChild(item);
        results.hidden = false;
      }

      function send(index) {
        if (index >= files.length) {
          button.disabled = false;
          upload.elements.files.value = "";
          return;
        }
        var body = new FormData(upload);
        body.delete("files");
        body.append("files", files[index]);
        // Each file is its own sending, so each has its own idempotency key.
        action.searchParams.set("submission", submission + "-" + index);
        var request = new XMLHttpRequest();
        request.open("POST", action.toString());
        request.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) progress[index].value = Math.round(100 * e.loaded / e.total);
        });
        request.addEventListener("load", function () {
          progress[index].value = 100;
          var page = new DOMParser().parseFromString(request.responseText, "text/html");
          var refusedForm = page.getElementById("form-errors");
          var main = page.querySelector("main");
          if (refusedForm && main) {
            // The details are wrong for every file: the form comes back as without script.
            document.querySelector("main").innerHTML = main.innerHTML;
            var summary = document.getElementById("form-errors");
            if (summary) summary.focus();
            return;
          }
          var answered = page.querySelectorAll("#upload-list li");
          if (!answered.length) failed(files[index]);
          answered.forEach(function (item) { list.appendChild(document.importNode(item, true)); });
          results.hidden = false;
          send(index + 1);
        });
        request.addEventListener("error", function () { failed(files[index]); send(index + 1); });
        request.send(body);
      }
      send(0);
    });
  }

  // Move focus to a refused form's summary so a screen reader hears it first.
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
