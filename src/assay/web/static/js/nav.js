// The top bar on narrow screens: a "Menu" button shows and hides the site links (owner: navigation).
// Without JavaScript the links simply wrap; with it, below 48rem they fold behind the button.
(function () {
  "use strict";
  function init() {
    var nav = document.querySelector(".topbar .site-nav");
    var button = nav && nav.querySelector(".nav-toggle");
    if (!button) return;
    nav.classList.add("collapsible");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && nav.classList.contains("open")) {
        nav.classList.remove("open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
