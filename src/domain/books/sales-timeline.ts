import type { SalesSecond } from "../../repository";

/** Bars in the sales chart: enough to show a shape, few enough to stay a few kilobytes of SVG. */
export const CHART_BINS = 60;

export interface SalesChart {
  /** Orders per second in each bin, averaged over the bin's width. */
  bins: number[];
  /** Seconds each bin covers. */
  binSeconds: number;
  /** Seconds from go-live the chart spans. */
  spanSeconds: number;
  /** The highest rate any single second saw. */
  peakPerSecond: number;
}

/**
 * Orders per second from go-live into at most CHART_BINS equal bins over `spanSeconds` (until now, or until
 * the drop sold out). Pure, so the chart's shape is tested without a database.
 * @example chartOf([{ second: 0, orders: 5 }, { second: 1, orders: 3 }], 2).bins // [5, 3]
 */
export function chartOf(seconds: SalesSecond[], spanSeconds: number, maxBins = CHART_BINS): SalesChart {
  const span = Math.max(1, Math.ceil(spanSeconds));
  const binSeconds = Math.max(1, Math.ceil(span / maxBins));
  const bins = new Array<number>(Math.ceil(span / binSeconds)).fill(0);
  let peakPerSecond = 0;
  for (const { second, orders } of seconds) {
    peakPerSecond = Math.max(peakPerSecond, orders);
    const bin = Math.min(bins.length - 1, Math.floor(second / binSeconds));
    bins[bin]! += orders;
  }
  return { bins: bins.map((orders) => orders / binSeconds), binSeconds, spanSeconds: span, peakPerSecond };
}
