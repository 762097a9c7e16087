// Seller pages, progressively enhanced. Everything here is optional: without it the pages still work
// (the link or key can be copied by hand, the go-live time zone defaults to UTC, buttons just submit).
// No inline script anywhere: this file is all the seller pages run, so a strict CSP can forbid the rest.
(() => {
  // Copy buttons: any button[data-copy-from] copies the value of the input it names. Its status line is
  // the next [role=status] after the button's row.
  for (const button of document.querySelectorAll("button[data-copy-from]")) {
    if (!navigator.clipboard) continue;
    const source = document.getElementById(button.dataset.copyFrom || "");
    const row = button.closest(".share-row");
    const status = row && row.parentElement ? row.parentElement.querySelector("[role=status]") : null;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source ? source.value : "");
        if (status) status.textContent = "Copied.";
      } catch {
        if (source) source.select();
        if (status) status.textContent = "Copy failed: the text is selected, copy it with your keyboard.";
      }
    });
  }

  // The go-live time zone: the browser's own zone goes first in the list and, on a fresh form, is chosen.
  const zone = document.querySelector("select[name=timeZone]");
  const detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && detected) {
    let option = [...zone.options].find((candidate) => candidate.value === detected);
    if (!option) option = new Option(detected, detected);
    zone.insertBefore(option, zone.firstChild);
    if (zone.hasAttribute("data-detect-zone")) zone.value = detected;
  }

  // The hold length only matters with checkout: while "Instant orders" is chosen it is disabled (and not
  // sent; the server ignores it then anyway). Without this script it simply stays editable.
  const holdMinutes = document.querySelector("#orders-mode input[name=holdMinutes]");
  if (holdMinutes) {
    const follow = () => {
      const chosen = document.querySelector("#orders-mode input[name=holdMode]:checked");
      holdMinutes.disabled = !chosen || chosen.value !== "hold";
    };
    for (const radio of document.querySelectorAll("#orders-mode input[name=holdMode]")) {
      radio.addEventListener("change", follow);
    }
    follow();
  }

  // Buttons that wait on the server say so, and cannot be pressed twice (sign-up hashing takes seconds).
  // Listened for on the document, so forms swapped in later (the drop's controls follow its status) do too.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const button = event.submitter || form.querySelector("button[type=submit]");
    if (!button || !button.dataset.pendingLabel) return;
    if (button.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    button.setAttribute("aria-busy", "true");
    button.dataset.idleLabel = button.textContent;
    button.textContent = button.dataset.pendingLabel;
  });
  // Coming back through the browser's history restores the page as it was left: undo the pending state.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    for (const button of document.querySelectorAll("button[aria-busy=true]")) {
      button.removeAttribute("aria-busy");
      button.textContent = button.dataset.idleLabel || button.textContent;
    }
  });

  // Go-live times are rendered in UTC; show them on the seller's own clock instead, in the same style
  // ("Dec 1, 2026, 19:00 GMT+1"), with the UTC reading kept in the tooltip: one time, one format.
  const local = new Intl.DateTimeFormat("en-US", {
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  });
  for (const time of document.querySelectorAll("time[data-local-time]")) {
    const instant = new Date(time.getAttribute("datetime") || "");
    if (Number.isNaN(instant.getTime())) continue;
    time.title = time.textContent.trim();
    time.textContent = local.format(instant);
  }
})();
