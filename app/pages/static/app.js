// Progressive enhancement of the /account/ pages; every page works without it.
"use strict";

// Copy buttons: <button data-copy="ID" hidden> copies the value (or text) of element ID.
function enableCopyButtons(root) {
  root.querySelectorAll("button[data-copy]").forEach((button) => {
    if (!navigator.clipboard) return;
    button.hidden = false;
    if (button.dataset.copyReady) return;
    button.dataset.copyReady = "1";
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      const status = document.getElementById(button.dataset.copyStatus || "");
      try {
        await navigator.clipboard.writeText(source.value !== undefined ? source.value : source.textContent);
        if (status) status.textContent = "Copied.";
      } catch (error) {
        if (status) status.textContent = "Could not copy: select the text and copy it yourself.";
      }
    });
  });
}

// htmx requests carry the session's CSRF token, like the forms' hidden field.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

document.addEventListener("DOMContentLoaded", () => enableCopyButtons(document));
document.addEventListener("htmx:afterSettle", (event) => enableCopyButtons(event.target));
