// Dropfront Live, the drop page's own script. htmx posts the buy form and its SSE extension keeps the
// counter live; this file keeps the countdown true to the server's clock, switches the buy button on at
// go-live, moves focus to answers and retries a buy the network dropped (same idempotency key: safe).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);

  // Our 400/409/503 answers carry the result to show (sold out, not live, busy, field errors): swap them.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "400|409|503", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
  }

  // Same text as views/fan/countdown.tsx formatCountdown.
  const two = (n) => String(n).padStart(2, "0");
  function formatCountdown(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const d = Math.floor(total / 86400);
    const h = Math.floor((total % 86400) / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    if (d > 0) return `${d}d ${two(h)}:${two(m)}:${two(s)}`;
    if (h > 0) return `${two(h)}:${two(m)}:${two(s)}`;
    return `${two(m)}:${two(s)}`;
  }

  // The fan's phone clock may be off by minutes; the page carries the database clock at render time.
  // Compare it with when the response arrived (navigation timing), not when this script ran.
  const countdown = $("countdown");
  let offset = 0;
  if (countdown) {
    const serverTime = Date.parse(countdown.dataset.serverTime);
    const nav = performance.getEntriesByType?.("navigation")[0];
    const arrived = nav?.responseStart ? performance.timeOrigin + nav.responseStart : Date.now();
    if (!Number.isNaN(serverTime)) offset = serverTime - arrived;
  }
  const serverNow = () => Date.now() + offset;

  let live = false;
  function goLive() {
    if (live) return;
    live = true;
    if (countdown) countdown.innerHTML = '<span class="countdown-label">Live now</span>';
    const button = $("buy-button");
    if (button?.hasAttribute("data-opens-at-live")) {
      button.removeAttribute("data-opens-at-live");
      button.disabled = false;
      button.textContent = "Buy now";
    }
  }

  function tick() {
    const startsAt = Date.parse(countdown.dataset.startsAt);
    const left = startsAt - serverNow();
    if (left <= 0) return goLive();
    const clock = countdown.querySelector(".countdown-clock");
    if (clock) clock.textContent = formatCountdown(left);
    // The last ten seconds look different: thumbs get ready.
    countdown.classList.toggle("final", left <= 10_000);
    // Wake on the next whole second of the server's clock, so the display never skips a number.
    setTimeout(tick, left % 1000 || 1000);
  }
  if (countdown?.querySelector(".countdown-clock")) tick();
  else if (countdown) live = true;

  // The start time in the fan's own time zone (the server renders UTC).
  const startsAtEl = $("starts-at");
  if (startsAtEl) {
    const at = new Date(startsAtEl.getAttribute("datetime"));
    startsAtEl.textContent = at.toLocaleString(undefined, {
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    });
  }

  // Sold out is said once, by the drop's state; the buy box goes, as on a page loaded after the sell-out.
  // A receipt stays (the fan bought before the end), and so does a form whose answer is still on its way,
  // and a hold the fan is paying for (on a hold drop the last unit held is what made it sold out), and a
  // draw's box: every unit held by winners is "sold out", and the box is where a winner reads "You won".
  function closeBuyBox() {
    const box = document.querySelector(".buy-box");
    if (
      !box ||
      box.querySelector("[data-outcome=bought], [data-outcome=held], #queue-box") ||
      box.querySelector(".htmx-request")
    )
      return;
    const said = $("purchase-result");
    const announcer = $("announcer");
    if (said && announcer) announcer.textContent = said.textContent;
    box.remove();
  }

  // Sold out while the page was open: the waitlist the page would show on a fresh load, from its template.
  function showWaitlist() {
    const slot = $("queue-slot");
    const template = $("waitlist-template");
    if (!slot || !template || slot.childElementCount > 0) return;
    slot.append(template.content.cloneNode(true));
    if (window.htmx) window.htmx.process(slot);
  }

  // A drop of several sizes: the stream carries each size's units left (data-sizes-left, by position). A
  // size that sold out while the page was open is struck through and disabled as on a fresh load; one that
  // came back (a lapsed hold) is offered again. Same markup as views/fan/purchase.tsx SizePicker.
  function followSizes() {
    const left = document.querySelector("#drop-state [data-sizes-left]")?.dataset.sizesLeft?.split(",");
    if (!left) return;
    const goneNow = [];
    for (const label of document.querySelectorAll(".size-option[data-position]")) {
      const remaining = Number(left[Number(label.dataset.position)] ?? 0);
      const soldOut = !(remaining > 0);
      const input = label.querySelector("input");
      const name = label.querySelector(".size-name");
      if (!input || !name || label.classList.contains("sold-out") === soldOut) continue;
      label.classList.toggle("sold-out", soldOut);
      if (soldOut) goneNow.push(label.dataset.name);
      input.disabled = soldOut;
      if (soldOut) input.checked = false;
      const shown = document.createElement("span");
      shown.className = "size-name";
      if (soldOut) {
        const struck = document.createElement("s");
        struck.textContent = label.dataset.name;
        const said = document.createElement("span");
        said.className = "visually-hidden";
        said.textContent = " (sold out)";
        shown.append(struck, said);
      } else {
        shown.textContent = label.dataset.name;
      }
      name.replaceWith(shown);
    }
    // Said once, politely, for a screen-reader user whose eyes are not on the picker.
    const announcer = $("announcer");
    if (goneNow.length > 0 && announcer) announcer.textContent = `Sold out: size ${goneNow.join(", ")}.`;
  }

  // The stream is the authority on go-live and sell-out, whatever the phone's clock says.
  // A paused page has no buy box; when sales resume, the page is loaded again to get one.
  let shownStatus = document.querySelector("#drop-state [data-status]")?.dataset.status;
  // The draw's or waitlist's tick moved (an offer made, a draw ranked): a fan whose outcome is open re-fetches
  // their own box, after a random pause so a crowd of open pages does not ask all at once (docs/draws.md).
  let queueTick;
  function queueMoved() {
    const tick = $("queue-tick")?.textContent;
    if (!tick || tick === queueTick) return;
    const first = queueTick === undefined;
    queueTick = tick;
    const url = $("queue-box")?.dataset.refresh;
    if (first || !url || !window.htmx) return;
    setTimeout(() => window.htmx.ajax("GET", url, { target: "#queue-box", swap: "outerHTML" }), Math.random() * 2000);
  }

  // A fan who joined a sold-out instant drop's waitlist on this page: the page closed its stream at the
  // sell-out (final then), so it opens one now, for the queue's tick alone, to learn of its offer live.
  function followQueue() {
    const stream = $("queue-box")?.dataset.stream;
    if (!stream || $("queue-tick") || document.querySelector("[sse-connect]") || !window.htmx) return;
    const holder = document.createElement("div");
    holder.setAttribute("hx-ext", "sse");
    holder.setAttribute("sse-connect", stream);
    const tick = document.createElement("span");
    tick.id = "queue-tick";
    tick.hidden = true;
    tick.setAttribute("sse-swap", "queue");
    holder.append(tick);
    (document.querySelector(".stock") || document.body).append(holder);
    window.htmx.process(holder);
  }
  document.addEventListener("htmx:afterSettle", followQueue);

  document.addEventListener("htmx:sseMessage", () => {
    queueMoved();
    const status = document.querySelector("#drop-state [data-status]")?.dataset.status;
    if (shownStatus === "paused" && status !== "paused") return location.reload();
    // A hold drop's unit came back (a hold expired or was released): load the page again for a buy box,
    // unless this page holds or bought a unit, which it keeps.
    const keeps = document.querySelector("[data-outcome=held], [data-outcome=bought]");
    if (shownStatus === "sold_out" && status === "live" && !keeps) return location.reload();
    shownStatus = status;
    followSizes();
    if (status === "live") goLive();
    if (status === "sold_out") {
      closeBuyBox();
      showWaitlist();
    }
  });

  // The order id, copied whole with one tap (selecting 36 characters on a phone is fiddly).
  function addCopyButton() {
    const id = $("order-id");
    if (!id || !navigator.clipboard || id.nextElementSibling?.classList.contains("copy")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy secondary";
    button.textContent = "Copy";
    button.addEventListener("click", () =>
      navigator.clipboard.writeText(id.textContent.trim()).then(() => {
        button.textContent = "Copied";
      }),
    );
    id.after(button);
  }
  addCopyButton();

  let retries = 0;

  // After an answer replaces the form, take focus to it (or to the field to fix), but not on every
  // automatic busy retry, which would re-read the same message again and again.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!event.detail?.xhr) return;
    const invalid = document.querySelector("#buy-form [aria-invalid=true]");
    const result = $("purchase-result");
    if (invalid) invalid.focus();
    else if (result && result.dataset.outcome !== "busy") result.focus();
    if (result?.dataset.outcome === "sold_out") {
      closeBuyBox();
      showWaitlist();
    }
    addCopyButton();
    retries = 0;
  });

  // The request never got an answer (offline, tunnel, dropped connection): post the same form again
  // with backoff. The idempotency key in it makes a repeat return the first order, never a second one.
  function showProblem(text, outcome = "connection") {
    const form = $("buy-form");
    if (!form) return;
    let note = $("purchase-result");
    if (!note || !form.contains(note)) {
      note = document.createElement("p");
      note.id = "purchase-result";
      note.setAttribute("role", "status");
      form.querySelector("button")?.before(note);
    }
    note.className = "notice warn";
    note.dataset.outcome = outcome;
    note.textContent = text;
  }
  function retryLater(event, text) {
    const form = event.detail?.elt;
    if (!form || form.id !== "buy-form") return;
    if (retries >= 5) return showProblem(`${text} Please try again.`);
    const delay = 1000 * 2 ** retries++;
    showProblem(`${text} Trying again in ${Math.round(delay / 1000)} s…`);
    setTimeout(() => form.isConnected && form.requestSubmit(), delay);
  }
  document.addEventListener("htmx:sendError", (e) => retryLater(e, "Connection lost."));
  document.addEventListener("htmx:timeout", (e) => retryLater(e, "No answer from the server."));
  document.addEventListener("htmx:responseError", (e) => {
    if (e.detail?.elt?.id !== "buy-form" || e.detail.xhr?.status === 429) return;
    showProblem("Something went wrong on our side. Please try again.");
  });

  // 429: this address sent too many buys (src/http/purchase-rate-limit.ts). The form stays as it is (same
  // fan, same idempotency key); the button waits out Retry-After, counting down, then may be pressed again.
  // Handled after the request, once htmx has switched the button back on (hx-disabled-elt).
  let waitTimer;
  document.addEventListener("htmx:afterRequest", (e) => {
    if (e.detail?.elt?.id !== "buy-form" || e.detail.xhr?.status !== 429) return;
    const seconds = Number.parseInt(e.detail.xhr.getResponseHeader("Retry-After") ?? "", 10);
    let left = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 3600) : 5;
    const button = $("buy-button");
    clearTimeout(waitTimer);
    const step = () => {
      if (left <= 0) {
        if (button) {
          button.disabled = false;
          button.textContent = "Buy now";
        }
        return showProblem("You can try again now.", "rate_limited");
      }
      if (button) {
        button.disabled = true;
        button.textContent = `Wait ${left} s`;
      }
      showProblem(`Too many tries from your connection — wait ${left} s, then try again.`, "rate_limited");
      left--;
      waitTimer = setTimeout(step, 1000);
    };
    step();
  });
})();
