// Every page: send the CSRF token with htmx requests; close dialogs from [data-action=close].
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (e) {
    if (token && token.content) e.detail.headers["X-CSRF-Token"] = token.content;
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest('[data-action="close"]');
    if (t) { var d = t.closest("dialog"); if (d) d.close(); }
  });
})();
