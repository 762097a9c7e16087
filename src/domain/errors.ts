/**
 * Domain errors: what went wrong in the shop's own words. HTTP statuses are chosen once, in
 * src/http/error-response.ts; nothing here knows about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class SoldOut extends DomainError {
  readonly code = "sold_out";
  /** `variant`: the name of the variant (size, colour) that sold out, on a drop of several. */
  constructor(readonly variant?: string) {
    super(
      variant === undefined
        ? "Sold out: every unit of this drop is taken."
        : `Sold out: every unit of "${variant}" is taken.`,
    );
  }
}

/** The drop sells several variants (sizes, colours) and the purchase named none: `variants` lists them. */
export class VariantRequired extends DomainError {
  readonly code = "variant_required";
  constructor(readonly variants: readonly string[]) {
    super(`Choose a variant: ${variants.join(", ")}.`);
  }
}

/** The purchase named a variant the drop does not sell. */
export class UnknownVariant extends DomainError {
  readonly code = "unknown_variant";
  constructor(readonly variants: readonly string[]) {
    super(`No such variant. This drop sells: ${variants.join(", ")}.`);
  }
}

export class NotLive extends DomainError {
  readonly code = "not_live";
  constructor(readonly startsAt: Date) {
    super(`Not live yet: the drop starts at ${startsAt.toISOString()}.`);
  }
}

export class LimitReached extends DomainError {
  readonly code = "limit_reached";
  constructor(readonly maxPerFan: number) {
    super(`Limit reached: at most ${maxPerFan} per fan.`);
  }
}

/** The seller paused sales (the kill switch); the drop may resume. */
export class Paused extends DomainError {
  readonly code = "paused";
  constructor() {
    super("Paused: the seller has paused sales of this drop for now.");
  }
}

/** The seller cancelled the drop before go-live; nothing will sell. */
export class Cancelled extends DomainError {
  readonly code = "cancelled";
  constructor() {
    super("Cancelled: the seller cancelled this drop.");
  }
}

/** The change is only allowed before go-live (price, quantity, go-live time; cancelling). */
export class DropLive extends DomainError {
  readonly code = "drop_live";
  constructor(
    message = "The drop is live: its price, quantity, go-live and orders mode (instant or checkout) are fixed.",
  ) {
    super(message);
  }
}

/** A size with orders cannot be removed from its drop (issue 18 §1): its orders keep their size. */
export class VariantHasOrders extends DomainError {
  readonly code = "variant_has_orders";
  constructor(readonly variant: string) {
    super(
      `The size "${variant}" has orders: it cannot be removed (lower its quantity to what it sold instead).`,
    );
  }
}

/** A size's quantity may not go below the units it has sold or holds for payment. */
export class VariantBelowSold extends DomainError {
  readonly code = "variant_below_sold";
  constructor(
    readonly variant: string,
    readonly sold: number,
  ) {
    super(`The size "${variant}" has ${sold} units sold or held: its quantity cannot go below ${sold}.`);
  }
}

/**
 * The database says the drop sells the other way (instant orders vs checkout) than this process's cached
 * drop believed: its seller switched modes before go-live, in another process. Never reaches HTTP: the shop
 * reads the drop afresh and buys the right way (Shop.purchase).
 */
export class OrdersModeChanged extends Error {}

/** Contention outlasted the retry budget. Never reported as sold out: the buyer should try again. */
export class Busy extends DomainError {
  readonly code = "busy";
  constructor(readonly retryAfterSeconds = 1) {
    super("Busy: too many buyers at once, please retry.");
  }
}

/** An idempotency key already used by another request (another fan): its order is not this request's. */
export class IdempotencyKeyReused extends DomainError {
  readonly code = "idempotency_key_reused";
  constructor() {
    super("This idempotency key was already used for a different purchase request; send a new key.");
  }
}

/** Too many password checks at once (the hashing queue is full, or this client already has one going). */
export class HashingBusy extends Busy {
  constructor() {
    super(1);
    this.message = "Too many sign-ins at once. Please try again in a second.";
  }
}

export class NotFound extends DomainError {
  readonly code = "not_found";
  constructor(what = "resource") {
    super(`No such ${what}.`);
  }
}

export class Unauthorized extends DomainError {
  readonly code = "unauthorized";
  constructor(message = "A valid API key is required (Authorization: Bearer <key>).") {
    super(message);
  }
}

/** Too many wrong passwords for one account lately; it may try again after `retryAfterSeconds`. */
export class TooManyAttempts extends DomainError {
  readonly code = "too_many_attempts";
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many sign-in attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`);
  }
}

/**
 * One client (or one order) saw more requests of a kind (e.g. purchases, payments) than its limit allows;
 * it may retry later. `what` says whose limit it was, from your address by default.
 */
export class RateLimited extends DomainError {
  readonly code = "rate_limited";
  constructor(
    readonly retryAfterSeconds: number,
    what = "Too many requests from your address.",
  ) {
    super(`${what} Try again in ${retryAfterSeconds} second(s).`);
  }
}

export class EmailTaken extends DomainError {
  readonly code = "email_taken";
  constructor() {
    super("A seller with this email already exists.");
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class InvalidInput extends DomainError {
  readonly code = "invalid";
  constructor(readonly issues: FieldIssue[]) {
    super(
      issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ") ||
        "Invalid input.",
    );
  }
}

/** A seller's Stress Test is still running: one at a time, so two never compete for the same server. */
export class StressTestRunning extends DomainError {
  readonly code = "stress_test_running";
  constructor(readonly testId: string | undefined) {
    super("A Stress Test is already running for your shop. Wait for its receipt, or cancel it, first.");
  }
}

/** A Stress Test cannot start in this process right now; the message says why (and when to retry, if known). */
export class StressTestUnavailable extends DomainError {
  readonly code = "stress_test_unavailable";
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The seller used up a Stress Test quota (runs per hour, attempts per day); it frees after `retryAfterSeconds`. */
export class StressQuotaReached extends DomainError {
  readonly code = "stress_quota_reached";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** An uploaded picture bigger than the shop accepts. */
export class ImageTooLarge extends DomainError {
  readonly code = "image_too_large";
  constructor(readonly maxBytes: number) {
    super(`The picture is larger than ${Math.round(maxBytes / (1024 * 1024))} MB. Choose a smaller one.`);
  }
}

/** Checkout: the hold ran out (or was released) before payment; a late payment was refunded. */
export class HoldExpired extends DomainError {
  readonly code = "hold_expired";
  constructor(readonly refunded = false) {
    super(
      refunded
        ? "Your hold ran out before the payment went through, so the payment was refunded in full."
        : "Your hold ran out: the unit went back to stock.",
    );
  }
}

/** Checkout: the card was declined; the hold is kept until it expires, so the fan may try another card. */
export class CardDeclined extends DomainError {
  readonly code = "card_declined";
  constructor() {
    super("The card was declined. Your hold is kept: try another card before it runs out.");
  }
}

/** Checkout: the order is not waiting for payment (already paid, released or refunded). */
export class OrderNotPayable extends DomainError {
  readonly code = "order_not_payable";
  constructor(readonly status: string) {
    super(`This order is ${status} and cannot be paid.`);
  }
}

/**
 * The seller's (or fan's) change to an order that its state does not allow: refund a paid order, cancel an
 * unpaid instant one, fulfil a paid or instant one, change the address before it is fulfilled.
 */
export class OrderStateConflict extends DomainError {
  readonly code = "order_state";
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

/** A payment provider's notification whose signature does not verify: ignored, never applied. */
export class InvalidWebhook extends DomainError {
  readonly code = "invalid_signature";
  constructor() {
    super("The notification's signature did not verify.");
  }
}

/** A draw drop sells to its entries, by the draw's ranking: it takes no purchase (until the leftovers open). */
export class DrawOnly extends DomainError {
  readonly code = "draw_only";
  constructor() {
    super("This drop is sold by draw: enter the draw; winners are offered a unit to pay for.");
  }
}

/** Draw entries are taken only between go-live and the close. */
export class EntriesClosed extends DomainError {
  readonly code = "entries_closed";
  constructor(message = "Entries to this draw have closed.") {
    super(message);
  }
}

/** The waitlist is for a drop with no unit free; this one still has units to buy. */
export class UnitsAvailable extends DomainError {
  readonly code = "units_available";
  constructor() {
    super("Units of this drop are still available: buy one instead of joining the waitlist.");
  }
}

/**
 * An edit that would break a draw drop's terms (docs/draws.md): a draw needs a hold, verified fans and a close
 * after its go-live, and how a drop sells is chosen when it is created. `issues` names each field and why.
 */
export class DrawTermsBroken extends DomainError {
  readonly code = "draw_terms";
  constructor(readonly issues: FieldIssue[]) {
    super(`This change would break the draw: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}.`);
  }
}

/** A draw's step that is not possible in its present state (e.g. opening leftovers while entries wait). */
export class DrawState extends DomainError {
  readonly code = "draw_state";
}
/** A verified-fans drop, bought without a valid fan token (issue 17 §1). */
export class FanUnverified extends DomainError {
  readonly code = "fan_unverified";
  constructor() {
    super(
      "This drop is for verified fans: confirm your email first (POST /api/fans/codes, then /api/fans/sessions) and send the Fan-Token header.",
    );
  }
}

/** A fan's email code that does not match the one sent; the code stays usable for a few more tries. */
export class CodeInvalid extends DomainError {
  readonly code = "code_invalid";
  constructor(readonly triesLeft: number) {
    super(`That code is not the one we sent. ${triesLeft} ${triesLeft === 1 ? "try" : "tries"} left.`);
  }
}

/** A fan's email code that ran out (10 minutes, five wrong tries, already used) or was never sent. */
export class CodeExpired extends DomainError {
  readonly code = "code_expired";
  constructor() {
    super("This code has expired. Ask for a new one.");
  }
}
