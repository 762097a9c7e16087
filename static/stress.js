// The Stress Test's tile race. Optional: without it the page reloads itself every 2 s (a <noscript> meta
// refresh) and shows the counts and, at the end, the receipt. With it, the page follows the run's event
// stream: one tile per unit (or per few units on large drops) lights up as it is claimed. On a receipt,
// the race is drawn again from the claim times stored with it, coloured by when each tile was claimed,
// and replayed on demand.
(() => {
  const NOT_YET = 0xffffffff;
  const EMPTY_TILE = "#e4e3ee";

  /** Little-endian uint32s packed in base64 (see packTimes in src/domain/stress-test/stress-test-progress.ts). */
  function unpack(base64) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    const out = new Uint32Array(Math.floor(bytes.length / 4));
    for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
    return out;
  }

  /** Early claims in indigo, late ones in orange: the colour says when. */
  const colourAt = (fraction) => `hsl(${Math.round(250 - 215 * fraction)} 70% 45%)`;

  /** Sizes a canvas for `tiles` square cells across its container's width. */
  function gridFor(canvas, tiles) {
    const width = Math.max(120, canvas.parentElement.clientWidth);
    const cell = Math.max(4, Math.min(28, Math.floor(Math.sqrt((width * 320) / tiles))));
    const cols = Math.max(1, Math.floor(width / cell));
    const rows = Math.ceil(tiles / cols);
    const ratio = window.devicePixelRatio || 1;
    canvas.style.width = `${cols * cell}px`;
    canvas.style.height = `${rows * cell}px`;
    canvas.width = Math.round(cols * cell * ratio);
    canvas.height = Math.round(rows * cell * ratio);
    canvas.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
    return { cols, cell };
  }

  /** Fills `fraction` of a tile from the bottom in `colour`, on an empty tile. */
  function paint(context, grid, tile, fraction, colour) {
    const { cols, cell } = grid;
    const gap = cell >= 8 ? 2 : 1;
    const x = (tile % cols) * cell;
    const y = Math.floor(tile / cols) * cell;
    const side = cell - gap;
    context.fillStyle = EMPTY_TILE;
    context.fillRect(x, y, side, side);
    if (fraction > 0) {
      const height = Math.max(1, Math.round(side * Math.min(1, fraction)));
      context.fillStyle = colour;
      context.fillRect(x, y + side - height, side, height);
    }
  }

  function setUpReplay(section) {
    if (!section || section.dataset.ready) return;
    section.dataset.ready = "yes";
    const canvas = document.getElementById("replay-tiles");
    const quantity = Number(section.dataset.quantity);
    const perTile = Number(section.dataset.unitsPerTile);
    const tiles = Number(section.dataset.tiles);
    const firstAt = unpack(section.dataset.first);
    const fullAt = unpack(section.dataset.full);
    const claimed = unpack(section.dataset.claimed);
    const sizeOf = (tile) => Math.min(perTile, quantity - tile * perTile);
    let end = 1;
    for (let tile = 0; tile < tiles; tile++) {
      if (fullAt[tile] !== NOT_YET) end = Math.max(end, fullAt[tile]);
      else if (firstAt[tile] !== NOT_YET) end = Math.max(end, firstAt[tile]);
    }
    let grid = gridFor(canvas, tiles);

    /** The race at `time` ms from its start (Infinity: the end). */
    function drawAt(time) {
      const context = canvas.getContext("2d");
      for (let tile = 0; tile < tiles; tile++) {
        const first = firstAt[tile];
        if (first === NOT_YET || time < first) {
          paint(context, grid, tile, 0, "");
          continue;
        }
        const full = fullAt[tile];
        const last = full === NOT_YET ? end : full;
        const progress = last <= first ? 1 : Math.min(1, (time - first) / (last - first));
        const fraction = (progress * claimed[tile]) / sizeOf(tile);
        paint(context, grid, tile, fraction, colourAt(Math.min(time, last) / end));
      }
    }

    const scale = document.getElementById("replay-scale");
    const scaleContext = scale.getContext("2d");
    for (let x = 0; x < scale.width; x++) {
      scaleContext.fillStyle = colourAt(x / (scale.width - 1));
      scaleContext.fillRect(x, 0, 1, scale.height);
    }
    document.getElementById("replay-early").textContent = "first claimed (0 s)";
    document.getElementById("replay-late").textContent = `last claimed (${(end / 1000).toFixed(1)} s)`;

    canvas.hidden = false;
    document.getElementById("replay-legend").hidden = false;
    drawAt(Number.POSITIVE_INFINITY);
    section.dataset.state = "finished";

    const button = document.getElementById("replay-start");
    button.hidden = false;
    const REPLAY_MS = Math.min(8000, Math.max(2000, end));
    button.addEventListener("click", () => {
      button.disabled = true;
      section.dataset.state = "replaying";
      const startedAt = performance.now();
      const frame = (now) => {
        const elapsed = now - startedAt;
        if (elapsed >= REPLAY_MS) {
          drawAt(Number.POSITIVE_INFINITY);
          section.dataset.state = "finished";
          button.disabled = false;
          return;
        }
        drawAt((elapsed / REPLAY_MS) * end);
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    let resizeTimer;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        grid = gridFor(canvas, tiles);
        if (section.dataset.state === "finished") drawAt(Number.POSITIVE_INFINITY);
      }, 150);
    });
  }

  setUpReplay(document.getElementById("stress-replay"));

  const live = document.getElementById("stress-live");
  if (!live || !window.EventSource) return;
  const canvas = document.getElementById("stress-tiles");
  const quantity = Number(live.dataset.quantity);
  const perTile = Number(live.dataset.unitsPerTile);
  const tiles = Number(live.dataset.tiles);
  const claimed = new Uint32Array(tiles);
  const sizeOf = (tile) => Math.min(perTile, quantity - tile * perTile);
  const $ = (id) => document.getElementById(id);
  const number = (n) => n.toLocaleString("en-US");
  const STATUS = {
    running: "Running",
    passed: "Passed",
    failed: "Failed",
    cancelled: "Cancelled",
    interrupted: "Interrupted",
  };

  // ---- tiles on a canvas: decorative (aria-hidden); the counts and progress bar carry the same news.
  const style = getComputedStyle(document.documentElement);
  const LIT = style.getPropertyValue("--accent").trim() || "#4b2fd6";
  let grid = { cols: 1, cell: 12 };

  function layout() {
    grid = gridFor(canvas, tiles);
    for (let tile = 0; tile < tiles; tile++) draw(tile);
  }

  /** A tile fills from the bottom by the fraction of its units claimed; a full one is solid. */
  function draw(tile) {
    paint(canvas.getContext("2d"), grid, tile, claimed[tile] / sizeOf(tile), LIT);
  }

  canvas.hidden = false;
  layout();
  let resizeTimer;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(layout, 150);
  });

  // ---- counts: shown at once; told to screen readers at most every 5 s, so they are not flooded.
  let sentence = "";
  let announced = "";
  const announcer = setInterval(() => {
    if (sentence && sentence !== announced) $("stress-announce").textContent = announced = sentence;
  }, 5000);

  const DRAW_PHASES = {
    verifying: "Fans are verifying their email",
    entering: "Entries are open",
    drawing: "Entries closed: drawing",
    offers: "Drawn: winners are paying",
    done: "Every offer settled",
  };

  function show(progress) {
    for (let i = 0; i < progress.tiles.length; i += 2) {
      claimed[progress.tiles[i]] = progress.tiles[i + 1];
      draw(progress.tiles[i]);
    }
    const set = (id, value) => {
      const element = $(id);
      if (element) element.textContent = number(value);
    };
    set("count-won", progress.won);
    set("count-sold-out", progress.soldOut);
    set("count-busy", progress.busy);
    set("count-errors", progress.errors);
    // Checkout mode only: holds paid, released and refunded so far.
    const checkout = progress.paid !== undefined;
    if (checkout) {
      set("count-paid", progress.paid);
      set("count-released", progress.released);
      set("count-refunded", progress.refunded);
    }
    // Draw mode only: the rehearsal's draw step and its queue (views/seller/stress-draw.tsx).
    const d = progress.draw;
    if (d) {
      const phase = $("draw-phase");
      if (phase) phase.textContent = DRAW_PHASES[d.phase] || d.phase;
      set("draw-entries", d.entries);
      set("draw-offered", d.offered);
      set("draw-paid", d.paid);
      set("draw-lapsed", d.lapsed);
    }
    const bar = $("stress-progress");
    if (bar) {
      bar.max = progress.attempts;
      bar.value = progress.answered;
    }
    sentence = `${number(progress.answered)} of ${number(progress.attempts)} attempts answered: ${number(progress.won)} won, ${number(progress.soldOut)} sold out, ${number(progress.busy)} busy, ${number(progress.errors)} errors.${checkout ? ` Checkout: ${number(progress.paid)} paid, ${number(progress.released)} released, ${number(progress.refunded)} refunded.` : ""}`;
    if (d) {
      sentence = `${DRAW_PHASES[d.phase] || d.phase}: ${number(d.entries)} of ${number(d.fans)} fans entered, ${number(d.offered)} offers made, ${number(d.paid)} paid, ${number(d.lapsed)} lapsed.`;
    }
    const text = $("stress-answered");
    if (text) text.textContent = sentence;
  }

  const source = new EventSource(live.dataset.events);
  source.addEventListener("progress", (event) => show(JSON.parse(event.data)));
  source.addEventListener("receipt", (event) => {
    source.close();
    clearInterval(announcer);
    const result = JSON.parse(event.data);
    $("stress-result").innerHTML = result.html;
    setUpReplay(document.getElementById("stress-replay"));
    $("stress-cancel")?.remove();
    $("stress-status").textContent = STATUS[result.status] || result.status;
    live.dataset.finished = result.status;
    $("stress-announce").textContent = `${sentence} Stress Test finished: ${result.verdict}. The receipt follows.`;
  });
  // Another server process drives this run: nothing to stream from here, so look again shortly.
  source.addEventListener("elsewhere", () => {
    source.close();
    setTimeout(() => location.reload(), 2000);
  });
})();
