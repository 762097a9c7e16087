import { formatNumber, formatUtcMinute } from "./format";

/** A drop's draw or waitlist as its seller sees it (docs/draws.md#the-sellers-view). */
export interface QueueCardProps {
  dropId: string;
  counts: { entries: number; waiting: number; offered: number; held: number; paid: number; lapsed: number };
  /** Present on a draw drop. */
  draw?:
    | {
        commitment: string;
        entriesCloseAt: Date;
        drawnAt: Date | null;
        publicValueSource: string | null;
        publicValue: string | null;
      }
    | undefined;
}

/**
 * The draw's terms and record link, or the waitlist's length, with how the offers went: offered a unit,
 * paid, lapsed (ran out or given back), still held.
 */
export function QueueCard({ dropId, counts, draw }: QueueCardProps) {
  return (
    <section class="card" id="queue-card" aria-labelledby="queue-heading">
      <h2 id="queue-heading">{draw ? "Draw" : "Waitlist"}</h2>
      {draw ? (
        <p class="hint">
          Entries close{" "}
          <time datetime={draw.entriesCloseAt.toISOString()} data-local-time>
            {formatUtcMinute(draw.entriesCloseAt)}
          </time>
          {" · "}
          {draw.drawnAt ? (
            <>
              drawn{" "}
              <time datetime={draw.drawnAt.toISOString()} data-local-time>
                {formatUtcMinute(draw.drawnAt)}
              </time>
            </>
          ) : (
            "not drawn yet"
          )}
          {draw.publicValueSource
            ? ` · public value: ${draw.publicValueSource}${draw.publicValue ? ` = ${draw.publicValue}` : " (publish it after the close)"}`
            : ""}
          <br />
          Commitment <code class="mono">{draw.commitment}</code> ·{" "}
          <a href={`/api/drops/${dropId}/draw`}>public draw record</a>
        </p>
      ) : null}
      <div class="grid stats">
        <div class="stat">
          <b id="queue-entries">{formatNumber(counts.entries)}</b>
          <span>{draw ? "Entries" : "Joined the waitlist"}</span>
        </div>
        <div class="stat">
          <b id="queue-waiting">{formatNumber(counts.waiting)}</b>
          <span>Still waiting</span>
        </div>
        <div class="stat">
          <b id="queue-offered">{formatNumber(counts.offered)}</b>
          <span>Offered a unit</span>
        </div>
        <div class="stat">
          <b id="queue-paid">{formatNumber(counts.paid)}</b>
          <span>Offers paid</span>
        </div>
        <div class="stat">
          <b id="queue-lapsed">{formatNumber(counts.lapsed)}</b>
          <span>Offers lapsed</span>
        </div>
        <div class="stat">
          <b id="queue-held">{formatNumber(counts.held)}</b>
          <span>Offers held now</span>
        </div>
      </div>
    </section>
  );
}
