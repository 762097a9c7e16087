/**
 * The Stress Test's checkout mode (issue 8): on a hold drop each virtual fan who wins a hold acts out a
 * fate through the public checkout API, as a crowd of real fans would: a third never pay (the hold
 * expires and the sweeper returns the unit during the run), a third release it, the rest pay with the
 * test card, and the first payer of every four pays too late (the payment lands after the hold ended and
 * must be refunded). Fans told "sold out" while units may still come back wait and try again.
 */
import type { KeepAliveClient, PlainAnswer } from "./keep-alive-client";

export type Fate = "abandons" | "releases" | "pays" | "pays_late";

export const FATES: readonly Fate[] = ["abandons", "releases", "pays", "pays_late"];

/** The test provider's cards (src/domain/checkout/payments.ts TEST_CARDS); the runner imports no app code. */
const CARD_SUCCEEDS = "4242424242424242";
/** Needs a second step: the late payer starts with it while the hold lasts and confirms after expiry. */
const CARD_SECOND_STEP = "4000002500003155";

/** After a hold's expiry, how long its unit may take to be swept back before it no longer counts as coming. */
export const RETURN_GRACE_MS = 2000;
/**
 * A fan waiting for a returned unit looks again by itself after a pause of this much per waiting fan (at
 * least WAIT_MIN_MS, at most WAIT_MAX_MS, jittered): the waiting crowd as a whole then asks about 50 times a
 * second however large it is, so it finds a unit the periodic sweep returned without the run's own signal,
 * while its "sold out" answers do not crowd out the purchases and payments being rehearsed.
 */
const WAIT_PER_WAITER_MS = 20;
const WAIT_MIN_MS = 250;
const WAIT_MAX_MS = 5000;
/** How long a releasing fan thinks before giving the unit back. */
const RELEASE_AFTER_MS = 150;
/** A late payer confirms this long after its hold ran out. */
const LATE_BY_MS = 300;

/**
 * The fate of the k-th hold won in the run (0-based), in order of the answers: exact thirds among the
 * winners whatever their number, and a late payer as soon as the third hold is won.
 * @example [0, 1, 2, 5, 14].map(fateOfWin) // ["abandons", "releases", "pays_late", "pays", "pays_late"]
 */
export function fateOfWin(k: number): Fate {
  if (k % 3 === 0) return "abandons";
  if (k % 3 === 1) return "releases";
  return k % 12 === 2 ? "pays_late" : "pays";
}

/** What the run's winners did at checkout, as the API answered them (the receipt checks it against the database). */
export interface CheckoutActivity {
  /** Holds won, by the fate they were given. */
  fates: Record<Fate, number>;
  /** Orders whose payment was answered "paid". */
  paidOrderIds: string[];
  /** Orders whose payment was answered "refunded" (it landed after the hold ended). */
  refundedOrderIds: string[];
  /** Orders whose release was answered "released". */
  releasedOrderIds: string[];
  /**
   * Holds that ran out before their fan acted on them: payments refused before any money moved, and
   * releases answered "expired". A few are normal; many say the answers are slower than the hold.
   */
  tooLate: number;
  /** "Sold out" answers after which the fan waited for a unit to come back and tried again. */
  retries: number;
  /** Fans whose last answer was "sold out" with nothing of the run's own left to come back. */
  gaveUp: number;
  /** Checkout calls answered "busy" (503): the fan gave up on them and the hold ran out. */
  busy: number;
  /** Checkout calls answered in a way they never should be (or not at all). */
  failures: number;
  /** The first few of those, described. */
  problems: string[];
}

export const emptyActivity = (): CheckoutActivity => ({
  fates: { abandons: 0, releases: 0, pays: 0, pays_late: 0 },
  paidOrderIds: [],
  refundedOrderIds: [],
  releasedOrderIds: [],
  tooLate: 0,
  retries: 0,
  gaveUp: 0,
  busy: 0,
  failures: 0,
  problems: [],
});

/**
 * Units the run's own winners will give back, and the fans waiting for one. A unit is pending from the
 * win until it is paid, or until its return (release, or expiry plus RETURN_GRACE_MS for the sweep) is
 * past; every return wakes one waiting fan, and the last pending unit settling wakes them all, so each
 * can look once more and stop.
 */
export class StockReturns {
  #pending = 0;
  #version = 0;
  #waiters: Array<() => void> = [];
  #nextTicket = 0;
  readonly #inFlight = new Set<number>();

  /**
   * A purchase is about to be sent: its ticket, to hand back with `answered` once its answer (and a won
   * hold's fate) is accounted for. An earlier purchase still unanswered may yet hold a unit that comes back.
   */
  sending(): number {
    const ticket = this.#nextTicket++;
    this.#inFlight.add(ticket);
    return ticket;
  }

  answered(ticket: number): void {
    this.#inFlight.delete(ticket);
  }

  /** Changes with every return: a fan compares it across its request to tell whether stock came back meanwhile. */
  get version(): number {
    return this.#version;
  }

  held(): void {
    this.#pending += 1;
  }

  /** A unit is (about to be) back in stock: one waiting fan tries again. */
  returned(): void {
    this.#version += 1;
    this.#wake(1);
  }

  /** A pending unit is settled: paid, or its return is past. */
  settled(): void {
    this.#pending -= 1;
    if (this.#pending === 0) this.#wake(this.#waiters.length);
  }

  /**
   * Whether a fan answered "sold out" (its purchase `ticket`, sent at `versionAtSend`) should wait and try
   * again rather than stop: a unit of the run's own is still to come back, one came back meanwhile, or a
   * purchase sent before this one is unanswered (it may hold a unit that comes back). A later purchase can
   * only win what came back after this answer's snapshot, so it is not waited for: the fans stop in turn.
   */
  mayComeBack(ticket: number, versionAtSend: number): boolean {
    if (this.#pending > 0 || this.#version !== versionAtSend) return true;
    for (const other of this.#inFlight) if (other < ticket) return true;
    return false;
  }

  /** Resolves on a wake-up, after a pause that grows with the waiting crowd, or on abort, whichever comes first. */
  wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters = this.#waiters.filter((w) => w !== done);
        resolve();
      };
      const pause = Math.min(WAIT_MAX_MS, Math.max(WAIT_MIN_MS, this.#waiters.length * WAIT_PER_WAITER_MS));
      const timer = setTimeout(done, pause * (0.5 + Math.random()));
      signal?.addEventListener("abort", done, { once: true });
      this.#waiters.push(done);
    });
  }

  #wake(count: number): void {
    for (const waiter of this.#waiters.slice(0, count)) waiter();
  }
}

/** A won hold as the purchase answered it. */
export interface WonHold {
  orderId: string;
  orderToken: string;
  /** The hold's length on the database clock (expiresAt − createdAt). */
  holdMs: number;
}

/** The hold parts of a 201 purchase answer on a hold drop, or undefined when it is not one. */
export function wonHoldOf(body: unknown): WonHold | undefined {
  const { order, orderToken } = (body ?? {}) as {
    order?: { id?: unknown; expiresAt?: unknown; createdAt?: unknown };
    orderToken?: unknown;
  };
  if (typeof order?.id !== "string" || typeof orderToken !== "string") return undefined;
  const holdMs = Date.parse(String(order.expiresAt)) - Date.parse(String(order.createdAt));
  return Number.isFinite(holdMs) ? { orderId: order.id, orderToken, holdMs } : undefined;
}

const sleep = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });

function parsed(answer: PlainAnswer): {
  order?: { status?: string };
  payment?: { id?: string };
  error?: { code?: string; refunded?: boolean };
} {
  try {
    return JSON.parse(answer.text);
  } catch {
    return {};
  }
}

const MAX_PROBLEMS = 5;

/**
 * Acts out one winner's fate and keeps `activity` and `returns` up to date. Never rejects: an unexpected
 * answer is counted as a failure (unless the run was cancelled, which cuts calls on purpose).
 */
export async function actOutFate(
  fate: Fate,
  hold: WonHold,
  ctx: {
    client: KeepAliveClient;
    headers: Record<string, string>;
    returns: StockReturns;
    activity: CheckoutActivity;
    signal: AbortSignal | undefined;
  },
): Promise<void> {
  const { client, returns, activity, signal } = ctx;
  const wonAt = performance.now();
  const headers = { ...ctx.headers, authorization: `Bearer ${hold.orderToken}` };
  const path = (action: string) => `/api/orders/${hold.orderId}/${action}`;
  const fail = (what: string, answer?: PlainAnswer) => {
    if (signal?.aborted) return;
    // "Busy, try again" is a fair answer under load: counted apart; the hold then simply runs out.
    if (answer?.status === 503) {
      activity.busy += 1;
      return;
    }
    activity.failures += 1;
    if (activity.problems.length < MAX_PROBLEMS) {
      activity.problems.push(
        `${what}: ${answer ? `HTTP ${answer.status} ${answer.text.slice(0, 160)}` : "no answer"}`,
      );
    }
  };
  const call = async (action: string, body: unknown) => {
    try {
      return await client.postJson(path(action), JSON.stringify(body), headers);
    } catch {
      return undefined;
    }
  };
  /** The unit comes back when the hold runs out: a fan is woken then, and it stops counting after the grace. */
  const returnsAtExpiry = async () => {
    await sleep(wonAt + hold.holdMs + 50 - performance.now(), signal);
    returns.returned();
    await sleep(wonAt + hold.holdMs + RETURN_GRACE_MS - performance.now(), signal);
  };
  /** A payment answer: paid, refunded, or refused because the hold ended first. */
  const noteSettlement = (answer: PlainAnswer | undefined, what: string): "paid" | "ended" => {
    const body = answer && parsed(answer);
    if (answer?.status === 200 && body?.order?.status === "paid") {
      activity.paidOrderIds.push(hold.orderId);
      return "paid";
    }
    if (answer?.status === 409 && body?.error?.code === "hold_expired") {
      if (body.error.refunded) activity.refundedOrderIds.push(hold.orderId);
      else activity.tooLate += 1;
    } else fail(what, answer);
    return "ended";
  };

  returns.held();
  try {
    if (fate === "abandons") return await returnsAtExpiry();
    if (fate === "releases") {
      await sleep(RELEASE_AFTER_MS, signal);
      const answer = await call("release", {});
      const status = answer?.status === 200 ? parsed(answer).order?.status : undefined;
      if (status === "released") {
        activity.releasedOrderIds.push(hold.orderId);
        returns.returned();
        return;
      }
      // The hold ran out before the fan could give it back: the answer says so, and the sweep returns it.
      if (status === "expired") activity.tooLate += 1;
      else fail("release", answer);
      return await returnsAtExpiry();
    }
    if (fate === "pays") {
      if (noteSettlement(await call("pay", { card: CARD_SUCCEEDS }), "payment") === "ended") {
        await returnsAtExpiry();
      }
      return;
    }
    // Late: a payment that needs a second step is started while the hold lasts, confirmed after it ended.
    const started = await call("pay", { card: CARD_SECOND_STEP });
    const paymentId = started?.status === 202 ? parsed(started).payment?.id : undefined;
    if (!paymentId) {
      if (started?.status === 409 && parsed(started).error?.code === "hold_expired") activity.tooLate += 1;
      else fail("late payment's first step", started);
      return await returnsAtExpiry();
    }
    await sleep(wonAt + hold.holdMs + LATE_BY_MS - performance.now(), signal);
    if (signal?.aborted) return;
    returns.returned();
    noteSettlement(await call("pay", { paymentId }), "late payment");
    await sleep(wonAt + hold.holdMs + RETURN_GRACE_MS - performance.now(), signal);
  } finally {
    returns.settled();
  }
}
