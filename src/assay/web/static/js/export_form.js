// The export form on the project overview: a format written in one fixed file format (Label Studio: one JSON
// array) disables the JSONL/Parquet select and says so, instead of offering a choice the server ignores.
(function () {
  "use strict";
  function wire(form) {
    const fmt = form.querySelector("select[name=fmt]");
    const file = form.querySelector("select[name=file_format]");
    const note = document.getElementById(file && file.getAttribute("aria-describedby") || "");
    if (!fmt || !file) return;
    function update() {
      const fixed = fmt.selectedOptions[0] && fmt.selectedOptions[0].dataset.fixedFileFormat;
      file.disabled = Boolean(fixed);
      if (note) {
        note.hidden = !fixed;
        note.textContent = fixed ? "Written as one " + fixed.toUpperCase() + " file (the file format does not apply)." : "";
      }
    }
    fmt.addEventListener("change", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-export-form]").forEach(wire);
  });
})();
