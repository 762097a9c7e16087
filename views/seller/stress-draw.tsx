import type { DrawRehearsalReceipt } from "../../src/domain/stress-test/draw-audit";
import type { DrawProgress } from "../../src/domain/stress-test/draw-rehearsal";

const number = (n: number) => n.toLocaleString("en-US");

/**
 * The draw figures of a Stress Test on a draw drop: entries, winners, offers walking down the ranking,
 * paid, lapsed and leftovers, the most units held or paid at once, and whether the rehearsal's draw record
 * verifies. Shown on the receipt page and in the stream's receipt event.
 */
export function DrawReceiptSection({ d }: { d: DrawRehearsalReceipt }) {
  return (
    <section id="receipt-draw" aria-labelledby="draw-heading">
      <h3 id="draw-heading">Draw</h3>
      <p class="hint">
        {number(d.fans)} rehearsal fans verified with codes from the run's own mailbox and entered within{" "}
        {d.entriesWindowSeconds} s; the draw ranked them, and a third of winners never paid, so their{" "}
        {number(d.holdSeconds)} s holds lapsed and the offer went to the next in rank.
      </p>
      <dl class="facts" id="receipt-draw-facts">
        <dt>Entries</dt>
        <dd id="receipt-draw-entries">{number(d.entries)}</dd>
        <dt>Winners at the draw</dt>
        <dd id="receipt-draw-winners">{number(d.winners)}</dd>
        <dt>Offers made</dt>
        <dd id="receipt-draw-offers">{number(d.offersMade)}</dd>
        <dt>Paid</dt>
        <dd id="receipt-draw-paid">
          {number(d.paid)} of {number(d.quantity)}
        </dd>
        <dt>Lapsed</dt>
        <dd id="receipt-draw-lapsed">
          {number(d.lapsed)} ({number(d.neverPaid)} {d.neverPaid === 1 ? "winner" : "winners"} never paid)
        </dd>
        <dt>Unsold leftovers</dt>
        <dd id="receipt-draw-leftovers">{number(d.leftovers)}</dd>
        <dt>Most held or paid at once</dt>
        <dd id="receipt-draw-peak">
          {number(d.peakHeldOrPaid)} of {number(d.quantity)} ({number(d.looks)} looks)
        </dd>
        <dt>Draw record</dt>
        <dd id="receipt-draw-verified">
          {d.drawProblems.length === 0
            ? "verifies: the seed matches the commitment and the ranking is the formula's (draw:verify's check)"
            : `does not verify: ${d.drawProblems.join("; ")}`}
        </dd>
      </dl>
    </section>
  );
}

const PHASES: Record<DrawProgress["phase"], string> = {
  verifying: "Fans are verifying their email",
  entering: "Entries are open",
  drawing: "Entries closed: drawing",
  offers: "Drawn: winners are paying",
  done: "Every offer settled",
};

/** The running draw rehearsal, for the progress page (stress.js updates it from the stream). */
export function DrawProgressFigures({ p }: { p: DrawProgress | undefined }) {
  const v = p ?? {
    phase: "verifying" as const,
    fans: 0,
    entries: 0,
    winners: 0,
    offered: 0,
    paid: 0,
    lapsed: 0,
    held: 0,
  };
  return (
    <dl class="facts" id="draw-progress" data-phase={v.phase}>
      <dt>Step</dt>
      <dd id="draw-phase">{PHASES[v.phase]}</dd>
      <dt>Entries</dt>
      <dd id="draw-entries">{number(v.entries)}</dd>
      <dt>Offers made</dt>
      <dd id="draw-offered">{number(v.offered)}</dd>
      <dt>Paid</dt>
      <dd id="draw-paid">{number(v.paid)}</dd>
      <dt>Lapsed</dt>
      <dd id="draw-lapsed">{number(v.lapsed)}</dd>
    </dl>
  );
}
