import type { SalesChart } from "../../src/domain/sales-timeline";
import { formatDuration, formatNumber, formatRate } from "./format";

const WIDTH = 600;
const HEIGHT = 140;

/**
 * Orders per second from go-live, as an inline SVG bar chart drawn on the server: no script, no library,
 * a few kilobytes. Redrawn with the stats every second while the drop sells. The numbers it shows are also
 * in its accessible name, so a screen reader hears the story rather than 60 bars.
 */
export function SalesChartView({ chart }: { chart: SalesChart }) {
  const top = Math.max(1, ...chart.bins);
  const barWidth = WIDTH / chart.bins.length;
  const label = `Orders per second since go-live: peak ${formatNumber(chart.peakPerSecond)} orders in one second, over ${formatDuration(chart.spanSeconds * 1000)}.`;
  return (
    <figure class="sales-chart" id="sales-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} preserveAspectRatio="none">
        <line x1="0" y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} class="axis" />
        {chart.bins.map((rate, i) => {
          const height = rate === 0 ? 0 : Math.max(1.5, (rate / top) * (HEIGHT - 4));
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
      <figcaption class="chart-axis">
        <span>Go-live</span>
        <span>
          Orders per second{chart.binSeconds > 1 ? ` (${formatNumber(chart.binSeconds)} s bars)` : ""}, top{" "}
          {formatRate(top)}
        </span>
        <span>+{formatDuration(chart.spanSeconds * 1000)}</span>
      </figcaption>
    </figure>
  );
}
