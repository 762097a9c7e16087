// Seller pages, progressively enhanced. Everything here is optional: without it the pages still work
// (the link can be copied by hand, the go-live time zone defaults to UTC, the dashboard reloads by hand).
(() => {
  // Copy the fan page's address with one click.
  const button = document.getElementById("copy-link");
  const status = document.getElementById("copy-status");
  if (button && navigator.clipboard) {
    const source = document.getElementById(button.dataset.copyFrom || "");
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source ? source.value : "");
        if (status) status.textContent = "Link copied.";
      } catch {
        if (source) source.select();
        if (status) status.textContent = "Copy failed: the link is selected, copy it with your keyboard.";
      }
    });
  }

  // On a fresh create-drop form, preselect the browser's own time zone (the server defaults to UTC).
  const zone = document.querySelector("select[data-detect-zone]");
  const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && detected) {
    if (![...zone.options].some((option) => option.value === detected)) {
      zone.add(new Option(detected, detected), 0);
    }
    zone.value = detected;
  }
})();
