import type { SalesChart } from "../../src/domain/books/sales-timeline";
import { formatDuration, formatNumber, formatRate } from "./format";

const WIDTH = 600;
const HEIGHT = 140;

/**
 * Orders per second from go-live, as an inline SVG bar chart drawn on the server: no script, no library,
 * a few kilobytes. Redrawn with the stats every second while the drop sells. The numbers it shows are also
 * in its accessible name, so a screen reader hears the story rather than 60 bars.
 */
export function SalesChartView({ chart }: { chart: SalesChart }) {
  const top = niceTop(Math.max(1, ...chart.bins));
  const barWidth = WIDTH / chart.bins.length;
  const label = `Orders per second since go-live: peak ${formatNumber(chart.peakPerSecond)} orders in one second, over ${formatDuration(chart.spanSeconds * 1000)}.`;
  const span = chart.spanSeconds * 1000;
  return (
    <figure class="sales-chart" id="sales-chart">
      <figcaption class="chart-title">
        Orders per second{chart.binSeconds > 1 ? ` (each bar ${formatNumber(chart.binSeconds)} s)` : ""}
      </figcaption>
      <div class="chart-plot">
        {/* The value axis: HTML beside the SVG, so its labels keep their size however the plot stretches. */}
        <div class="chart-y" aria-hidden="true">
          <span>{formatRate(top)}</span>
          <span>{formatRate(top / 2)}</span>
          <span>0</span>
        </div>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} preserveAspectRatio="none">
          <line x1="0" y1="0.5" x2={WIDTH} y2="0.5" class="grid-line" />
          <line x1="0" y1={HEIGHT / 2} x2={WIDTH} y2={HEIGHT / 2} class="grid-line" />
          <line x1="0.5" y1="0" x2="0.5" y2={HEIGHT} class="axis" />
          <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} class="axis" />
          {chart.bins.map((rate, i) => {
            const height = rate === 0 ? 0 : Math.max(1.5, (rate / top) * HEIGHT);
            return (
              <rect
                x={(i * barWidth + barWidth * 0.1).toFixed(2)}
                y={(HEIGHT - height).toFixed(2)}
                width={(barWidth * 0.8).toFixed(2)}
                height={height.toFixed(2)}
              />
            );
          })}
        </svg>
        {/* The time axis, under the plot: from go-live to now (or to the sell-out). */}
        <div class="chart-x chart-axis" aria-hidden="true">
          <span>Go-live</span>
          <span>+{formatDuration(span / 2)}</span>
          <span>+{formatDuration(span)}</span>
        </div>
      </div>
    </figure>
  );
}

/** The value axis' top: the peak rounded up to 1, 2 or 5 times a power of ten, so the labels read cleanly. */
export function niceTop(peak: number): number {
  const power = 10 ** Math.floor(Math.log10(peak));
  for (const step of [1, 2, 5, 10]) if (peak <= step * power) return step * power;
  return 10 * power;
}
