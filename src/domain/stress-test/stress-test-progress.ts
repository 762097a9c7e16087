import type { CheckoutCounts, ProgressBatch } from "../../stampede/run-in-worker";
import { emptyCounts, type OutcomeCounts, type StampedeProgress } from "../../stampede/run-stampede";
import type { DrawProgress } from "./draw-rehearsal";

/** The tile race never draws more tiles than this; a larger drop gives each tile several units. */
export const MAX_TILES = 2000;

/** How a drop's units map onto tiles: tile t covers units t × unitsPerTile + 1 … (t + 1) × unitsPerTile. */
export interface TileLayout {
  quantity: number;
  unitsPerTile: number;
  tiles: number;
}

/**
 * @example tileLayout(30) // { quantity: 30, unitsPerTile: 1, tiles: 30 }
 * @example tileLayout(5000) // { quantity: 5000, unitsPerTile: 3, tiles: 1667 }
 */
export function tileLayout(quantity: number): TileLayout {
  const unitsPerTile = Math.max(1, Math.ceil(quantity / MAX_TILES));
  return { quantity, unitsPerTile, tiles: Math.ceil(quantity / unitsPerTile) };
}

/** The tile a unit lights up, or -1 for a unit outside 1..quantity (the receipt reports those). */
export function tileOf(layout: TileLayout, unitNo: number): number {
  if (!Number.isInteger(unitNo) || unitNo < 1 || unitNo > layout.quantity) return -1;
  return Math.floor((unitNo - 1) / layout.unitsPerTile);
}

/** A time not reached (a tile not yet claimed, or never filled). */
export const NOT_YET = 0xffff_ffff;

/** How many units tile `tile` covers (the last tile may hold fewer). */
export const unitsOnTile = (layout: TileLayout, tile: number) =>
  Math.min(layout.unitsPerTile, layout.quantity - tile * layout.unitsPerTile);

/**
 * The tile race, stored with the receipt so the receipt page can replay it: for every tile, the
 * milliseconds from the start at which its first unit and its last unit were claimed, and how many of
 * its units were claimed in the end, as little-endian uint32 packed in base64 (NOT_YET for never). At
 * most 3 × 2,000 numbers, about 32 KB, whatever the drop's size.
 */
export interface TileReplay {
  quantity: number;
  unitsPerTile: number;
  tiles: number;
  firstAtMs: string;
  fullAtMs: string;
  /** Units claimed per tile by the end, packed the same way (a tile of an unsold unit stays part-filled). */
  claimedUnits: string;
}

/** @example unpackTimes(packTimes(Uint32Array.of(5, NOT_YET))) // Uint32Array [5, 4294967295] */
export function packTimes(times: Uint32Array): string {
  const bytes = Buffer.alloc(times.length * 4);
  times.forEach((time, i) => {
    bytes.writeUInt32LE(time, i * 4);
  });
  return bytes.toString("base64");
}

export function unpackTimes(packed: string): Uint32Array {
  const bytes = Buffer.from(packed, "base64");
  const times = new Uint32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < times.length; i++) times[i] = bytes.readUInt32LE(i * 4);
  return times;
}

/** What one look at a running test shows: the counts so far and how many units each tile has claimed. */
export interface ProgressSnapshot {
  layout: TileLayout;
  counts: OutcomeCounts;
  answered: number;
  attempts: number;
  /** Units claimed per tile: at most MAX_TILES numbers however many attempts there are. */
  claimed: Uint32Array;
  /** Grows with every answer, so a watcher can tell whether anything changed since it last looked. */
  version: number;
  /** Checkout mode: holds paid, released and refunded so far; absent on an instant drop's run. */
  checkout?: CheckoutCounts;
  /** Draw mode: where the rehearsal's draw stands (entries, offers, paid, lapsed); absent otherwise. */
  draw?: DrawProgress;
}

/**
 * A running test's progress as the runner reports it, kept in fixed-size form (counts and one number per
 * tile) so watching a 200,000-attempt run costs the same memory as watching a 10-attempt one.
 */
export class StressProgress {
  readonly layout: TileLayout;
  readonly attempts: number;
  readonly counts: OutcomeCounts = emptyCounts();
  readonly claimed: Uint32Array;
  /** Per tile, when its first unit and its last unit were claimed (ms from the start; NOT_YET until then). */
  readonly firstAt: Uint32Array;
  readonly fullAt: Uint32Array;
  answered = 0;
  version = 0;
  checkout: CheckoutCounts | undefined;
  draw: DrawProgress | undefined;

  constructor(quantity: number, attempts: number, checkout = false) {
    this.checkout = checkout ? { paid: 0, released: 0, refunded: 0 } : undefined;
    this.layout = tileLayout(quantity);
    this.attempts = attempts;
    this.claimed = new Uint32Array(this.layout.tiles);
    this.firstAt = new Uint32Array(this.layout.tiles).fill(NOT_YET);
    this.fullAt = new Uint32Array(this.layout.tiles).fill(NOT_YET);
  }

  /** What the worker-thread runner reports every interval: running totals and the units claimed, timed. */
  recordBatch(batch: ProgressBatch): void {
    Object.assign(this.counts, batch.counts);
    this.answered = batch.answered;
    for (let i = 0; i < batch.claims.length; i += 2) this.#claim(batch.claims[i]!, batch.claims[i + 1]!);
    if (batch.checkout) this.checkout = { ...batch.checkout };
    this.version += 1;
  }

  #claim(unitNo: number, atMs: number): void {
    const tile = tileOf(this.layout, unitNo);
    // A full tile stays full: on a hold drop a unit that came back is claimed again.
    if (tile < 0 || this.claimed[tile]! >= unitsOnTile(this.layout, tile)) return;
    const at = Math.min(NOT_YET - 1, Math.max(0, Math.round(atMs)));
    this.claimed[tile]! += 1;
    if (this.firstAt[tile] === NOT_YET) this.firstAt[tile] = at;
    if (this.claimed[tile] === unitsOnTile(this.layout, tile)) this.fullAt[tile] = at;
  }

  /** A draw rehearsal's step: its figures replace the last; paid units light their tiles as a sale does. */
  recordDraw(progress: DrawProgress, atMs: number): void {
    this.draw = { ...progress };
    this.counts.won = progress.paid;
    if (this.checkout) this.checkout.paid = progress.paid;
    this.answered = progress.entries;
    const paidTiles = Math.min(progress.paid, this.layout.quantity);
    let lit = this.claimed.reduce((sum, n) => sum + n, 0);
    for (let unit = lit + 1; unit <= paidTiles; unit++, lit++) this.#claim(unit, atMs);
    this.version += 1;
  }

  /** The race as it can be replayed from the receipt: when each tile started and finished being claimed. */
  replay(): TileReplay {
    return {
      quantity: this.layout.quantity,
      unitsPerTile: this.layout.unitsPerTile,
      tiles: this.layout.tiles,
      firstAtMs: packTimes(this.firstAt),
      fullAtMs: packTimes(this.fullAt),
      claimedUnits: packTimes(this.claimed),
    };
  }

  /** The runner's onProgress: called once per answer, so it only counts. */
  record(progress: StampedeProgress): void {
    this.counts[progress.outcome] += 1;
    this.answered = progress.answered;
    if (progress.unitNo !== undefined) {
      const tile = tileOf(this.layout, progress.unitNo);
      if (tile >= 0) this.claimed[tile]! += 1;
    }
    this.version += 1;
  }

  snapshot(): ProgressSnapshot {
    return {
      layout: this.layout,
      counts: { ...this.counts },
      answered: this.answered,
      attempts: this.attempts,
      claimed: this.claimed.slice(),
      version: this.version,
      ...(this.checkout ? { checkout: { ...this.checkout } } : {}),
      ...(this.draw ? { draw: { ...this.draw } } : {}),
    };
  }
}

/** Won, sold out, busy and everything else (which a healthy run never sees) for the running counts. */
export function countsShown(counts: OutcomeCounts): {
  won: number;
  soldOut: number;
  busy: number;
  errors: number;
} {
  const errors = counts.error + counts.replay + counts.not_live + counts.limit_reached + counts.invalid;
  return { won: counts.won, soldOut: counts.sold_out, busy: counts.busy, errors };
}
