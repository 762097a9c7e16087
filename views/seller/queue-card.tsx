import { CsrfField } from "./fields";
import { formatNumber, formatUtcMinute } from "./format";

/** A drop's draw or waitlist as its seller sees it (docs/draws.md#the-sellers-view). */
export interface QueueCardProps {
  dropId: string;
  /** The drop's slug, for the seller's draw actions (absent: the card shows no action). */
  slug?: string | undefined;
  csrfToken?: string | undefined;
  counts: { entries: number; waiting: number; offered: number; held: number; paid: number; lapsed: number };
  /** Present on a draw drop. */
  draw?:
    | {
        commitment: string;
        entriesCloseAt: Date;
        drawnAt: Date | null;
        publicValueSource: string | null;
        publicValue: string | null;
        /** The entry list is frozen (and in the public record): the named public value may be given. */
        frozen?: boolean | undefined;
        /** The seller opened the leftovers first-come. */
        opened?: boolean | undefined;
        /** Units neither held nor paid: after the ranking ran out, what opening the leftovers sells. */
        leftover?: number | undefined;
      }
    | undefined;
}

/**
 * What the seller does to move a draw on: give the named public value once the list is frozen (the draw
 * waits for it), and, once nobody is left waiting, open the leftover units first-come.
 */
function DrawActions({
  slug,
  csrfToken,
  draw,
  waiting,
}: {
  slug: string;
  csrfToken: string;
  draw: NonNullable<QueueCardProps["draw"]>;
  waiting: number;
}) {
  const base = `/seller/drops/${slug}/draw`;
  if (draw.publicValueSource && draw.publicValue === null && draw.frozen && !draw.drawnAt) {
    return (
      <form method="post" action={`${base}/public-value`} id="public-value-form">
        <CsrfField token={csrfToken} />
        <label for="public-value">The public value you named: {draw.publicValueSource}</label>
        <input id="public-value" name="value" required maxlength={200} autocomplete="off" />
        <p class="hint">
          The entry list is frozen and public. Type the value exactly as published; the draw runs with it
          within seconds, and it cannot be changed afterwards.
        </p>
        <button type="submit" data-pending-label="Publishing…">
          Publish the value and run the draw
        </button>
      </form>
    );
  }
  if (draw.drawnAt && !draw.opened && waiting === 0 && (draw.leftover ?? 0) > 0) {
    return (
      <form method="post" action={`${base}/open-leftovers`} id="open-leftovers-form" class="inline">
        <CsrfField token={csrfToken} />
        <p class="hint">
          Every entry was offered a unit; {formatNumber(draw.leftover ?? 0)} unit(s) stay unsold.
        </p>
        <button type="submit" class="secondary" data-pending-label="Opening…">
          Sell the leftovers first-come
        </button>
      </form>
    );
  }
  return null;
}

/**
 * The draw's terms and record link, or the waitlist's length, with how the offers went: offered a unit,
 * paid, lapsed (ran out or given back), still held.
 */
export function QueueCard({ dropId, slug, csrfToken, counts, draw }: QueueCardProps) {
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
            ? ` · public value: ${draw.publicValueSource}${
                draw.publicValue
                  ? ` = ${draw.publicValue}`
                  : draw.frozen
                    ? " (the entry list is frozen: give it below)"
                    : " (publish it once the entry list is frozen, 30 s after the close)"
              }`
            : ""}
          <br />
          Commitment <code class="mono">{draw.commitment}</code> ·{" "}
          <a href={`/api/drops/${dropId}/draw`}>public draw record</a>
          {draw.opened ? " · leftovers on sale first-come" : ""}
        </p>
      ) : null}
      {draw && slug && csrfToken ? (
        <DrawActions slug={slug} csrfToken={csrfToken} draw={draw} waiting={counts.waiting} />
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
