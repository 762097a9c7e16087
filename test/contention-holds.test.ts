import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import { TestPaymentProvider } from "../src/domain/checkout/payments";
import type { RetryPolicy } from "../src/domain/purchase/retry";
import type { Shop } from "../src/domain/shop";
import type { Drop } from "../src/domain/types";
import type { CheckoutOrder } from "../src/repository/checkout/holds";
import { ALL_BACKENDS, isAvailable, openTestDatabase } from "./support/databases";
import { createSeller } from "./support/shop-fixtures";

/**
 * Checkout under contention (issue 11): fans stampede a hold drop; of the winners a random third never pay
 * (their holds expire during the run and the units are sold again), a third release, the rest pay, some of
 * them too late (each fan's fate is drawn from FATE_SEED, see drawFates). Two app instances (two processes' caches) share the database, and two sweepers run at once.
 * Throughout, held + paid + in stock = N; at the end paid = N, paid units are 1..N once each, no fan is over
 * the limit, and every payment the provider kept belongs to exactly one paid order (late ones were refunded).
 */
const retryPolicy: RetryPolicy = { maxAttempts: 60, deadlineMs: 30_000, baseDelayMs: 2, maxDelayMs: 100 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const N = 8;
const HOLD_SECONDS = 1;
const FANS = 120;
/**
 * Not a goal, a guard against a hang: the run ends when N are paid, however long a loaded machine takes
 * (a payer whose hold ran out before their payment got through buys again). At load 13 the old 25 s
 * deadline cut a run short of N paid.
 */
const RUN_DEADLINE_MS = 240_000;
/** Fates are drawn from this seed: a failing run names it, and the same fan gets the same fate again. */
const FATE_SEED = 0x5eed_0b0b;

type Fate = "never_pays" | "releases" | "pays" | "pays_late";

/** mulberry32: a small seeded generator of numbers in [0, 1), so the mix is random yet reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Each fan's fate if they win, drawn per fan from the seed: a third never pay (their holds expire during
 * the run), a third release, the rest pay, one payer in three late (after the hold ran out, and refunded).
 */
function drawFates(fans: number, seed: number): Fate[] {
  const random = seededRandom(seed);
  return Array.from({ length: fans }, () => {
    const roll = random();
    const late = random() < 1 / 3;
    if (roll < 1 / 3) return "never_pays";
    if (roll < 2 / 3) return "releases";
    return late ? "pays_late" : "pays";
  });
}

interface Ledger {
  won: number;
  fates: Record<Fate, number>;
  /** Payments that went through after the hold had ended, and were refunded. */
  lateRefunded: number;
  conservationBreaks: string[];
}

/** The books in one snapshot: orders (held + paid) and stock (bucket ranges + returned units). */
async function books(db: Database, dropId: string) {
  const { rows } = await db.query<{ held: number; paid: number; stock: number }>(
    `SELECT (SELECT count(*)::int FROM orders WHERE drop_id = $1::uuid AND status = 'held') AS held,
            (SELECT count(*)::int FROM orders WHERE drop_id = $1::uuid AND status = 'paid') AS paid,
            (SELECT coalesce(sum(remaining), 0)::int FROM stock_buckets WHERE drop_id = $1::uuid)
              + (SELECT count(*)::int FROM returned_units WHERE drop_id = $1::uuid) AS stock`,
    [dropId],
  );
  return rows[0]!;
}

/**
 * Pays the order the way `payNaively` says: the shop's guarded checkout, or (for the control) a checkout
 * with the guard removed — the card is charged and the order marked paid without the conditional UPDATE.
 */
type Payer = (
  shop: Shop,
  order: CheckoutOrder,
  token: string,
  late: boolean,
) => Promise<"paid" | "refused" | "refunded">;

/**
 * A late payer starts a payment that needs a second step while the hold lasts (test card 4000002500003155)
 * and confirms it after the hold ran out: the money moves after the unit went back, and must come back.
 */
const guardedPay: Payer = async (shop, order, token, late) => {
  try {
    if (!late) {
      await shop.checkout.pay(order.id, token, { card: "4242424242424242" });
      return "paid";
    }
    const started = await shop.checkout.pay(order.id, token, { card: "4000002500003155" });
    await sleep(HOLD_SECONDS * 1000 + 200 + randomInt(300));
    await shop.checkout.pay(order.id, token, { paymentId: started.pending!.id });
    return "paid";
  } catch (error) {
    if ((error as { code?: string }).code !== "hold_expired") throw error;
    return (error as { refunded?: boolean }).refunded ? "refunded" : "refused";
  }
};

/** The control: charge, then UPDATE ... WHERE id only (no `status = 'held' AND expires_at > now()`, no refund). */
const unguardedPay =
  (db: Database, payments: TestPaymentProvider): Payer =>
  async (_shop, order, _token, late) => {
    if (late) await sleep(HOLD_SECONDS * 1000 + 200 + randomInt(300));
    const payment = await payments.createPayment(
      { orderId: order.id, amountCents: order.priceCents, currency: "USD" },
      { card: "4242424242424242" },
    );
    await db.query(
      "UPDATE orders SET status = 'paid', paid_at = now(), payment_ref = $2::text WHERE id = $1::uuid",
      [order.id, payment.id],
    );
    return "paid";
  };

/** One fan: tries until they win or the drop is paid out, then acts out their fate. */
async function fan(
  shops: Shop[],
  drop: Drop,
  i: number,
  ledger: Ledger,
  pay: Payer,
  done: () => boolean,
  fate: Fate,
): Promise<void> {
  const shop = shops[i % shops.length]!;
  while (!done()) {
    let held: { order: CheckoutOrder; orderToken?: string | undefined } | undefined;
    try {
      held = (await shop.purchase(drop.id, { fan: `fan-${i}@holds.test` })).checkout;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "sold_out" && code !== "busy") throw error;
      await sleep(50 + randomInt(100));
      continue;
    }
    ledger.won++;
    ledger.fates[fate]++;
    const { order, orderToken } = held!;
    if (fate === "never_pays") return;
    if (fate === "releases") {
      await sleep(randomInt(300));
      await shop.checkout.release(order.id, orderToken!);
      return;
    }
    await sleep(randomInt(300));
    const paid = await pay(shop, order, orderToken!, fate === "pays_late");
    if (paid === "refunded") ledger.lateRefunded++;
    // A payer who meant to pay in time but whose hold ran out first (a slow machine) tries again, as a fan
    // would: so the run reaches N paid whatever the machine's speed.
    if (fate === "pays" && paid !== "paid") continue;
    return;
  }
}

async function stampede(
  db: Database,
  shops: Shop[],
  drop: Drop,
  pay: Payer,
  { fates = drawFates(FANS, FATE_SEED), deadlineMs = RUN_DEADLINE_MS } = {},
): Promise<Ledger> {
  const ledger: Ledger = {
    won: 0,
    fates: { never_pays: 0, releases: 0, pays: 0, pays_late: 0 },
    lateRefunded: 0,
    conservationBreaks: [],
  };
  const startedAt = Date.now();
  let paidOut = false;
  const done = () => paidOut || Date.now() - startedAt > deadlineMs;
  // Fans who won before the end still act out their fates (a late payer pays after it): the sweepers run
  // until the last of them is done, as they would in a live shop.
  let fansDone = false;
  // Two sweepers at once, as two processes would run them, plus a watcher of the books.
  const background = [0, 1].map(async (s) => {
    while (!fansDone) {
      await shops[s % shops.length]!.checkout.sweep();
      await sleep(100);
    }
  });
  const watcher = (async () => {
    while (!done()) {
      const { held, paid, stock } = await books(db, drop.id);
      if (held + paid + stock !== drop.quantity) ledger.conservationBreaks.push(`${held}+${paid}+${stock}`);
      paidOut = paid >= drop.quantity;
      await sleep(50);
    }
  })();
  await Promise.all(
    Array.from({ length: FANS }, (_, i) => fan(shops, drop, i, ledger, pay, done, fates[i]!)),
  );
  paidOut = true;
  fansDone = true;
  await Promise.all([...background, watcher]);
  return ledger;
}

describe("the fates of winners", () => {
  it("are thirds: never pay, release, pay (one payer in three late), the same for the same seed", () => {
    const fates = drawFates(30_000, FATE_SEED);
    const share = (...kinds: Fate[]) => fates.filter((f) => kinds.includes(f)).length / fates.length;
    for (const third of [share("never_pays"), share("releases"), share("pays", "pays_late")]) {
      expect(third).toBeGreaterThan(0.32);
      expect(third).toBeLessThan(0.35);
    }
    expect(share("pays_late") / share("pays", "pays_late")).toBeCloseTo(1 / 3, 1);
    expect(drawFates(FANS, FATE_SEED)).toEqual(fates.slice(0, FANS));
    expect(drawFates(FANS, FATE_SEED + 1)).not.toEqual(fates.slice(0, FANS));
  });
});

describe.each(ALL_BACKENDS)("checkout holds under contention on %s", (backend) => {
  let db: Database;
  let shops: Shop[];
  let payments: TestPaymentProvider;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    payments = new TestPaymentProvider();
    // Two instances over one database and one provider: two processes, each with its own sold-out cache.
    const apps = [0, 1].map(() =>
      createApp({ db, retryPolicy, payments, logError: (e) => console.error(e) }),
    );
    shops = apps.map((app) => app.shop);
    await createSeller(apps[0]!);
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  const holdDrop = async (title: string, quantity: number) => {
    const { rows } = await db.query<{ id: string }>("SELECT id FROM sellers LIMIT 1");
    const seller = { id: rows[0]!.id, email: "", name: "", createdAt: new Date() };
    return shops[0]!.createDrop(seller, {
      title,
      description: "",
      priceCents: 1500,
      currency: "USD",
      quantity,
      maxPerFan: 1,
      bucketCount: 4,
      holdSeconds: HOLD_SECONDS,
    });
  };

  it_(
    `${FANS} fans (fate seed ${FATE_SEED}), ${N} units held ${HOLD_SECONDS}s: paid = N, units 1..N once each, no late payment kept`,
    async () => {
      const drop = await holdDrop("Held tee", N);
      const ledger = await stampede(db, shops, drop, guardedPay);

      expect(ledger.conservationBreaks).toEqual([]);
      // Holds expired during the run and their units were sold again.
      expect(ledger.won).toBeGreaterThan(N);
      expect(ledger.fates.never_pays).toBeGreaterThan(0);
      expect(ledger.fates.releases).toBeGreaterThan(0);
      expect(ledger.fates.pays + ledger.fates.pays_late).toBeGreaterThanOrEqual(N);

      const paid = await db.query<{ unit_no: number; fan: string; payment_ref: string; id: string }>(
        "SELECT id, unit_no, fan, payment_ref FROM orders WHERE drop_id = $1::uuid AND status = 'paid' ORDER BY unit_no",
        [drop.id],
      );
      expect(paid.rows.map((r) => r.unit_no)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      const perFan = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM orders WHERE drop_id = $1::uuid GROUP BY fan HAVING count(*) > 1",
        [drop.id],
      );
      expect(perFan.rows).toEqual([]);
      // Every payment the provider kept for this drop's orders (paid or ended) is exactly one paid order's
      // payment: no double payment, and every payment that landed after its hold ended was given back.
      const all = await db.query<{ id: string }>(
        "SELECT id FROM orders WHERE drop_id = $1::uuid UNION ALL SELECT id FROM order_history WHERE drop_id = $1::uuid",
        [drop.id],
      );
      const ofDrop = new Set(all.rows.map((r) => r.id));
      const kept = payments.captured().filter((p) => ofDrop.has(p.orderId));
      expect(kept.map((p) => p.id).sort()).toEqual(paid.rows.map((r) => r.payment_ref).sort());
      const refunded = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM order_history WHERE drop_id = $1::uuid AND status = 'refunded'",
        [drop.id],
      );
      expect(refunded.rows[0]!.n).toBe(ledger.lateRefunded);
      expect(ledger.lateRefunded).toBeGreaterThan(0);
    },
    RUN_DEADLINE_MS + 60_000,
  );

  it_(
    "control: with the payment guard removed the same harness sees a payment kept for a unit sold again",
    async () => {
      const drop = await holdDrop("Unguarded tee", 4);
      // Every payer pays late, so the harness surely meets a late payment (with a third of payers late, the
      // winners of a 4-unit drop held none in about one run in four, and the control saw nothing).
      const fates = drawFates(FANS, FATE_SEED).map((f): Fate => (f === "pays" ? "pays_late" : f));
      await stampede(db, shops, drop, unguardedPay(db, payments), { fates, deadlineMs: 8_000 });
      const paidRefs = await db.query<{ payment_ref: string }>(
        "SELECT payment_ref FROM orders WHERE drop_id = $1::uuid AND status = 'paid'",
        [drop.id],
      );
      const ended = await db.query<{ id: string }>("SELECT id FROM order_history WHERE drop_id = $1::uuid", [
        drop.id,
      ]);
      const endedIds = new Set(ended.rows.map((r) => r.id));
      const paidSet = new Set(paidRefs.rows.map((r) => r.payment_ref));
      // Late payments marked nothing (the hold had gone) yet kept the fan's money: the harness sees them.
      const keptForEndedHolds = payments
        .captured()
        .filter((p) => endedIds.has(p.orderId) && !paidSet.has(p.id));
      expect(keptForEndedHolds.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
