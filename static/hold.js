// The hold's countdown on a fan's phone (views/fan/hold.tsx). The time left comes from the database:
// expires-at minus the database time of the page's read, so the phone's own clock only measures how long
// the page has been open. At zero the box is fetched again: the server says what became of the hold.
(() => {
  const two = (n) => String(n).padStart(2, "0");
  const format = (ms) => {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const hours = Math.floor(total / 3600);
    const clock = `${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
    return hours > 0 ? `${two(hours)}:${clock}` : clock;
  };
  let timer;
  const start = () => {
    clearInterval(timer);
    const box = document.getElementById("hold-countdown");
    if (!box) return;
    const left = Date.parse(box.dataset.expiresAt) - Date.parse(box.dataset.serverTime);
    const shownAt = performance.now();
    const clock = box.querySelector(".countdown-clock");
    const tick = () => {
      const ms = left - (performance.now() - shownAt);
      if (clock) clock.textContent = format(ms);
      if (ms <= 0) {
        clearInterval(timer);
        // A short grace so the sweep (every second) has returned the unit when the box is read again.
        setTimeout(() => {
          if (window.htmx) window.htmx.ajax("GET", box.dataset.reload, { target: "#purchase-result", swap: "outerHTML" });
          else window.location.assign(box.dataset.reload);
        }, 1500);
      }
    };
    tick();
    timer = setInterval(tick, 250);
  };
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSettle", start);
})();
