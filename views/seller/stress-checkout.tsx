import type { CheckoutReceipt } from "../../src/domain/stress-test/checkout-audit";

const number = (n: number) => n.toLocaleString("en-US");

/**
 * The checkout figures of a Stress Test on a hold drop: what became of every hold, counted from the
 * rehearsal drop's rows, and the checks of the money side. Shown on the receipt page and in the stream's
 * receipt event.
 */
export function CheckoutReceiptSection({ c }: { c: CheckoutReceipt }) {
  const f = c.fates;
  return (
    <section id="receipt-checkout" aria-labelledby="checkout-heading">
      <h3 id="checkout-heading">Checkout</h3>
      <p class="hint">
        The rehearsal held each win for {number(c.holdSeconds)} s. Of{" "}
        {number(f.abandons + f.releases + f.pays + f.pays_late)} holds won, {number(f.abandons)} were left to
        expire, {number(f.releases)} released, {number(f.pays)} paid and {number(f.pays_late)} paid too late
        (to be refunded).
      </p>
      <dl class="facts" id="receipt-checkout-facts">
        <dt>Paid</dt>
        <dd id="receipt-paid">
          {number(c.paid)} of {number(c.quantity)}
        </dd>
        <dt>Held at the end</dt>
        <dd id="receipt-held">{number(c.held)}</dd>
        <dt>Expired</dt>
        <dd id="receipt-expired">{number(c.expired)}</dd>
        <dt>Released</dt>
        <dd id="receipt-released">{number(c.released)}</dd>
        <dt>Refunded</dt>
        <dd id="receipt-refunded">{number(c.refunded)}</dd>
        <dt>Units won again</dt>
        <dd id="receipt-resold">{number(c.resoldUnits)}</dd>
        <dt>Paid units</dt>
        <dd id="receipt-paid-units">
          {c.paidUnitsDuplicated === 0 && c.paidUnitsOutOfRange === 0
            ? c.paid === c.quantity
              ? `1..${number(c.quantity)}, each once`
              : `each once, within 1..${number(c.quantity)}`
            : `${number(c.paidUnitsDuplicated)} twice, ${number(c.paidUnitsOutOfRange)} out of range`}
        </dd>
        <dt>Fans over the limit</dt>
        <dd id="receipt-over-limit">{number(c.fansOverLimit)}</dd>
        <dt>Double payments</dt>
        <dd id="receipt-double-payments">{number(c.doublePayments)}</dd>
        <dt>Late payments kept</dt>
        <dd id="receipt-unrefunded">{number(c.unrefundedLatePayments)}</dd>
        <dt>Fans who waited</dt>
        <dd id="receipt-retries">
          {number(c.answered.retries)} "sold out" answers waited out for a unit to come back
        </dd>
      </dl>
    </section>
  );
}

/** The receipt's closing line when nothing broke, in checkout terms. */
export const CHECKOUT_CLEAN =
  "The database sold exactly what it had through checkout: held, paid and in stock always added up, every paid unit once, nobody over the limit, no payment taken twice, every late payment refunded.";
