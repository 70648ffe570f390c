// The import page: send the chosen (or dropped) file as the raw request body, with the CSRF token in a
// header and the options in the query, showing upload progress; then go to the dry run page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = document.getElementById("upload-file");
  var zone = document.getElementById("drop-zone");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var error = document.getElementById("upload-error");
  var token = document.querySelector('meta[name="csrf-token"]');
  var max = parseInt(form.dataset.max || "0", 10);

  function fail(msg) {
    error.textContent = msg;
    error.hidden = false;
    bar.hidden = true;
    status.textContent = "";
    form.querySelector("[type=submit]").disabled = false;
  }

  function send(file) {
    error.hidden = true;
    if (!file) { fail("Choose a file first."); return; }
    if (max && file.size > max) { fail("The file is larger than the " + Math.round(max / 1048576) + " MB an upload may take."); return; }
    var q = new URLSearchParams();
    q.set("name", file.name);
    ["fmt", "on_divergence", "priority", "license"].forEach(function (n) { q.set(n, form.elements[n].value); });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") + "?" + q.toString());
    xhr.setRequestHeader("X-CSRF-Token", token ? token.content : "");
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = e.loaded / e.total; }
      status.textContent = "Uploading " + file.name + "… " + Math.round(100 * e.loaded / (e.total || 1)) + "%";
    };
    xhr.onload = function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 201 && body && body.url) {
        status.textContent = "Uploaded; checking the file…";
        window.location.assign(body.url);
        return;
      }
      var msg = body && body.error ? body.error.message : ("The upload failed (HTTP " + xhr.status + ").");
      if (body && body.error && body.error.details && body.error.details.field) msg += " (field: " + body.error.details.field + ")";
      fail(msg);
    };
    xhr.onerror = function () { fail("The upload was interrupted; check the connection and try again."); };
    form.querySelector("[type=submit]").disabled = true;
    bar.hidden = false;
    bar.value = 0;
    xhr.send(file);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    send(input.files && input.files[0]);
  });
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (e) {
    var files = e.dataTransfer && e.dataTransfer.files;
    if (files && files.length) {
      try { input.files = files; } catch (err) { /* older browsers: send the dropped file directly */ }
      send(files[0]);
    }
  });
})();
