// Authoring pages: stream model replies into their boxes, retry failed ones, keep typed text, fill the
// chat edit box with the chosen reply, and pick a claim span on the fact-check page.
// Model text is only ever inserted with textContent; the page is reloaded when all replies are in, so
// the server renders them through its sanitising markdown filter.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";

  // -- drafts: anything typed survives a failed request or a reload --------------------------------
  function drafts() {
    var refused = !!document.querySelector('[data-testid="form-error"]');
    try {  // a text sent last time is forgotten once the server accepted it (no error on the next page)
      for (var i = sessionStorage.length - 1; i >= 0; i--) {
        var k = sessionStorage.key(i);
        if (k && k.indexOf("assay-sent:") === 0) {
          if (!refused) localStorage.removeItem(k.slice(11));
          sessionStorage.removeItem(k);
        }
      }
    } catch (e) { /* storage off */ }
    document.querySelectorAll("textarea[data-draft-key]").forEach(function (ta) {
      var key = "assay-draft:" + ta.dataset.draftKey;
      try {
        if (!ta.value && localStorage.getItem(key)) ta.value = localStorage.getItem(key);
      } catch (e) { /* storage off */ }
      ta.addEventListener("input", function () {
        try { localStorage.setItem(key, ta.value); } catch (e) { /* ignore */ }
      });
      if (ta.form) ta.form.addEventListener("submit", function () {
        try { sessionStorage.setItem("assay-sent:" + key, "1"); } catch (e) { /* ignore */ }
      });
    });
  }

  // -- streaming ------------------------------------------------------------------------------------
  var pending = 0, failed = 0;

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var event = "message", data = "";
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event: ") === 0) event = line.slice(7);
        else if (line.indexOf("data: ") === 0) data += line.slice(6);
      });
      if (data) onEvent(event, JSON.parse(data));
    });
    return rest;
  }

  function streamInto(box) {
    var article = box.closest("article");
    var text = box.querySelector(".stream-text");
    var err = article.querySelector(".stream-error");
    var retry = article.querySelector(".retry");
    text.textContent = "";
    err.hidden = true;
    retry.hidden = true;
    box.classList.remove("failed", "done");
    pending += 1;
    var finished = false;

    function fail(message) {
      if (finished) return;
      finished = true;
      pending -= 1;
      failed += 1;
      box.classList.add("failed");
      err.textContent = message + " — what you wrote is saved; retry when ready.";
      err.hidden = false;
      retry.hidden = false;
      setSend();
    }
    function done() {
      if (finished) return;
      finished = true;
      pending -= 1;
      box.classList.add("done");
      if (pending === 0 && failed === 0) window.location.reload();
      setSend();
    }

    fetch(box.dataset.stream, { method: "POST", headers: { "X-CSRF-Token": csrf, "Accept": "text/event-stream" },
                                credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) {
          return resp.json().then(function (body) {
            var e = body && body.error;
            fail((e && e.message) || ("the server answered " + resp.status));
          }, function () { fail("the server answered " + resp.status); });
        }
        var reader = resp.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              if (!finished) fail("the reply stopped before it was complete");
              return;
            }
            buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), function (event, data) {
              if (event === "delta") text.textContent += data;
              else if (event === "done") done();
              else if (event === "error") fail(data.message || "the model server failed");
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function () { fail("lost the connection to Assay"); });
  }

  function setSend() {
    var send = document.querySelector('form[data-testid="next-message"] button[type="submit"]');
    if (send && pending > 0) send.disabled = true;
  }

  function streams() {
    var boxes = document.querySelectorAll("[data-stream]");
    boxes.forEach(function (box) {
      var retry = box.closest("article").querySelector(".retry");
      retry.addEventListener("click", function () {
        failed = Math.max(0, failed - 1);
        streamInto(box);
      });
      streamInto(box);
    });
  }

  // -- chat: the edit box starts from the reply picked as better ------------------------------------
  function choices() {
    document.querySelectorAll("form.choice").forEach(function (form) {
      var originals = JSON.parse(form.querySelector("script.originals").textContent);
      var edit = form.querySelector("textarea.edit-chosen");
      var touched = false;
      edit.addEventListener("input", function () { touched = true; });
      form.querySelectorAll('input[name="slot"]').forEach(function (radio) {
        radio.addEventListener("change", function () {
          if (!touched || !edit.value) { edit.value = originals[+radio.value] || ""; touched = false; }
        });
      });
    });
  }

  // -- fact-check: a selection inside a reply becomes the claim and its offsets --------------------
  function offsetIn(root, node, offset) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var total = 0, n;
    while ((n = walker.nextNode())) {
      if (n === node) return total + offset;
      total += n.textContent.length;
    }
    return -1;
  }

  function factCheck() {
    var form = document.getElementById("fact-form");
    if (!form) return;
    document.addEventListener("mouseup", function () {
      var sel = window.getSelection();
      if (!sel || sel.isCollapsed || sel.rangeCount === 0) return;
      var range = sel.getRangeAt(0);
      var root = range.startContainer.parentElement && range.startContainer.parentElement.closest(".fact-text");
      if (!root || !root.contains(range.endContainer)) return;
      var start = offsetIn(root, range.startContainer, range.startOffset);
      var end = offsetIn(root, range.endContainer, range.endOffset);
      if (start < 0 || end <= start) return;
      form.elements.start.value = start;
      form.elements.end.value = end;
      form.elements.claim.value = root.textContent.slice(start, end);
      form.elements.completion.value = root.dataset.completion;
    });
    form.elements.claim.addEventListener("input", function () {
      form.elements.start.value = "";
      form.elements.end.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drafts();
    choices();
    factCheck();
    streams();
  });
})();
