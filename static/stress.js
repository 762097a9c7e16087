// The Stress Test's tile race. Optional: without it the page reloads itself every 2 s (a <noscript> meta
// refresh) and shows the counts and, at the end, the receipt. With it, the page follows the run's event
// stream: one tile per unit (or per few units on large drops) lights up as it is claimed.
(() => {
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
  const EMPTY = "#e4e3ee";
  let grid = { cols: 1, cell: 12 };

  function layout() {
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
    grid = { cols, cell };
    for (let tile = 0; tile < tiles; tile++) draw(tile);
  }

  /** A tile fills from the bottom by the fraction of its units claimed; a full one is solid. */
  function draw(tile) {
    const context = canvas.getContext("2d");
    const { cols, cell } = grid;
    const gap = cell >= 8 ? 2 : 1;
    const x = (tile % cols) * cell;
    const y = Math.floor(tile / cols) * cell;
    const side = cell - gap;
    const fraction = Math.min(1, claimed[tile] / sizeOf(tile));
    context.fillStyle = EMPTY;
    context.fillRect(x, y, side, side);
    if (fraction > 0) {
      const height = Math.max(1, Math.round(side * fraction));
      context.fillStyle = LIT;
      context.fillRect(x, y + side - height, side, height);
    }
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
    const bar = $("stress-progress");
    if (bar) {
      bar.max = progress.attempts;
      bar.value = progress.answered;
    }
    sentence = `${number(progress.answered)} of ${number(progress.attempts)} attempts answered: ${number(progress.won)} won, ${number(progress.soldOut)} sold out, ${number(progress.busy)} busy, ${number(progress.errors)} errors.`;
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
