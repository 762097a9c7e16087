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

  // Go-live times are rendered in UTC; add the seller's own clock reading next to them.
  const local = new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
  for (const time of document.querySelectorAll("time[data-local-time]")) {
    const instant = new Date(time.getAttribute("datetime") || "");
    if (Number.isNaN(instant.getTime())) continue;
    time.title = time.textContent.trim();
    time.textContent = `${time.textContent.trim()} (${local.format(instant)} your time)`;
  }
})();
