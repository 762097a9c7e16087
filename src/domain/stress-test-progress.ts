import { emptyCounts, type OutcomeCounts, type StampedeProgress } from "../stampede/run-stampede";

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
  answered = 0;
  version = 0;

  constructor(quantity: number, attempts: number) {
    this.layout = tileLayout(quantity);
    this.attempts = attempts;
    this.claimed = new Uint32Array(this.layout.tiles);
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
