// The import wizard's enhancements: the drop zone and the commit's busy state (htmx draws the live preview).
"use strict";

// Drop a file on the upload box: it becomes the file input's file, and the form is sent.
function enableDropZones(root) {
  root.querySelectorAll("form[data-drop-zone]").forEach((form) => {
    const target = form.querySelector("[data-drop-target]");
    const input = form.querySelector('input[type="file"]');
    const hint = form.querySelector("[data-drop-hint]");
    const name = form.querySelector("[data-drop-name]");
    if (!target || !input || form.dataset.dropReady) return;
    form.dataset.dropReady = "1";
    if (hint) hint.hidden = false;
    ["dragenter", "dragover"].forEach((type) =>
      target.addEventListener(type, (event) => {
        event.preventDefault();
        target.classList.add("dragging");
      }),
    );
    ["dragleave", "drop"].forEach((type) => target.addEventListener(type, () => target.classList.remove("dragging")));
    target.addEventListener("drop", (event) => {
      event.preventDefault();
      const files = event.dataTransfer && event.dataTransfer.files;
      if (!files || files.length !== 1) {
        if (name) {
          name.hidden = false;
          name.textContent = "Drop one file at a time.";
        }
        return;
      }
      input.files = files;
      if (name) {
        name.hidden = false;
        name.textContent = "Uploading " + files[0].name + "…";
      }
      form.requestSubmit();
    });
  });
}

// Until the commit's answer starts (a large file's answer then streams the rows written), the form says
// it is at work and counts the seconds.
function enableBusyForms(root) {
  root.querySelectorAll("form[data-busy-form]").forEach((form) => {
    if (form.dataset.busyReady) return;
    form.dataset.busyReady = "1";
    form.addEventListener("submit", () => {
      const busy = form.querySelector("[data-busy]");
      const text = form.querySelector("[data-busy-text]");
      const button = form.querySelector('button[type="submit"]');
      if (!busy || !text) return;
      const started = Date.now();
      const base = text.textContent.replace(/…$/, "");
      busy.hidden = false;
      const tick = () => {
        const seconds = Math.round((Date.now() - started) / 1000);
        text.textContent = base + " in one transaction: all of them or none. " + seconds + " s so far.";
      };
      tick();
      window.setInterval(tick, 1000);
      // Disabled after the submit has started, so the form is still sent; a second click sends nothing.
      window.setTimeout(() => { if (button) button.disabled = true; }, 0);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  enableDropZones(document);
  enableBusyForms(document);
});
// After the live preview is redrawn, say so to screen readers: the region stays, its text changes.
function announcePreview() {
  const live = document.getElementById("wizard-live");
  const region = document.getElementById("preview-announcement");
  if (live && region) region.textContent = live.dataset.summary || "";
}

document.addEventListener("htmx:afterSettle", () => {
  enableBusyForms(document);
  announcePreview();
});
