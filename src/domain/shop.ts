import { randomBytes } from "node:crypto";
import { type Database, isDatabaseUnavailable, violatedConstraint } from "../db/database";
import * as repo from "../repository";
import { hashApiKey, hashPassword, newApiKey } from "./accounts/secrets";
import { EXPORT_PAGE_SIZE, ordersCsvStream } from "./books/orders-export";
import { createDropLifecycle, type DropChanges } from "./catalog/drop-lifecycle";
import { type DropImage, imagesOfDrop } from "./catalog/images";
import { assignShopSlug, slugBase } from "./catalog/shop-slug";
import { createCheckout } from "./checkout/checkout";
import { type PaymentProvider, TestPaymentProvider } from "./checkout/payments";
import { type Clock, systemClock } from "./clock";
import {
  Busy,
  EmailTaken,
  FanUnverified,
  InvalidInput,
  NotFound,
  OrdersModeChanged,
  RateLimited,
  Unauthorized,
  UnknownVariant,
  VariantRequired,
} from "./errors";
import { createFairness } from "./fairness";
import { createOrderManagement } from "./orders";
import { DropCache, isUuid } from "./purchase/drop-cache";
import { PlannerStatistics } from "./purchase/planner-statistics";
import { type PurchaseRequest, type PurchaseResult, purchase, requestFingerprint } from "./purchase/purchase";
import { PurchaseBatcher } from "./purchase/purchase-batcher";
import { defaultRetryPolicy, type RetryPolicy, TryAgain, withRetry } from "./purchase/retry";
import { bucketCountFor, planBuckets } from "./purchase/stock-plan";
import {
  pickVariant,
  planVariantBuckets,
  soleVariant,
  storedUnit,
  UNITS_PER_VARIANT,
  type Variant,
  type VariantInput,
  variantProblems,
} from "./purchase/variants";
import type { Audit, Drop, DropStatus, DropTerms, Order, Seller } from "./types";

export interface NewDropInput extends Omit<DropTerms, "startsAt" | "quantity"> {
  /** The drop's units; with `variants`, their sum (checked when given, else taken from them). */
  quantity?: number | undefined;
  /** Sizes, colours: 1..20, each sold exactly on its own (see purchase/variants.ts). */
  variants?: readonly VariantInput[] | undefined;
  /** Go-live; absent means at once, on the database clock. */
  startsAt?: Date | undefined;
  /** Stock rows to spread the units over; chosen from the quantity when absent. */
  bucketCount?: number;
  /** Checkout with a hold of this many seconds (the API takes 1-60 minutes); 0 or absent: instant orders. */
  holdSeconds?: number;
  /** A draw drop (fairness/draw-ranking.ts): its seed and commitment, made before the drop exists. */
  draw?: Omit<repo.NewDraw, "dropId">;
  /** Only verified fans may buy (issue 17 §1). */
  verifiedFans?: boolean | undefined;
  /** Ask each buyer where to ship their unit (issue 18 §2). */
  collectShipping?: boolean | undefined;
}

/** A variant with its stock and status, read with the drop. */
export interface VariantWithStock extends Variant {
  remaining: number;
  status: DropStatus;
}

export interface DropWithStock {
  drop: Drop;
  remaining: number;
  status: DropStatus;
  /** Every variant (one, "Standard", for a drop made without variants), in the seller's order. */
  variants: VariantWithStock[];
  serverTime: Date;
  /** The drop's pictures, oldest first (see images.ts). */
  images: DropImage[];
  /** A draw drop's public terms (docs/draws.md); absent on a first-come drop. */
  draw?: { entriesCloseAt: Date; commitment: string } | undefined;
}

/** URL-safe, readable and unguessable enough: "summer-sneaker-k3x9qa". */
export function slugFor(title: string): string {
  const base = slugBase(title);
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, "0").slice(-6);
  return base ? `${base}-${suffix}` : `drop-${suffix}`;
}

/**
 * The one status a drop shows. Cancelled wins; a live drop with no stock is sold out even while paused
 * (stock never comes back); otherwise paused, then upcoming or live by the database clock. `switches` are
 * the pause and cancel flags from the same read as the stock; absent, the drop's own are used.
 */
export function statusOf(
  drop: Drop,
  remaining: number,
  serverTime: Date,
  switches: {
    paused?: boolean | undefined;
    cancelled?: boolean | undefined;
    startsAt?: Date | undefined;
  } = {},
): DropStatus {
  if (switches.cancelled ?? drop.cancelledAt !== null) return "cancelled";
  const upcoming = serverTime < (switches.startsAt ?? drop.startsAt);
  if (!upcoming && remaining <= 0) return "sold_out";
  if (switches.paused ?? drop.pausedAt !== null) return "paused";
  return upcoming ? "upcoming" : "live";
}

export interface PurchaseEngineOptions {
  /** Buyers of one drop per statement at most (group commit); 1 turns batching off. */
  batchMax: number;
  /** Statements per drop in flight at once. */
  batchesInFlight: number;
  /** The purchase's SQL form; "auto" asks the backend once (see repository.probePurchaseForm). */
  form: "auto" | repo.PurchaseForm;
}

/** The engine's defaults when the app is built without a config (tests, the bench). */
export const defaultEngineOptions = (db: Database): PurchaseEngineOptions => ({
  batchMax: 64,
  // As config.ts's defaultBatchesInFlight, for the pool of 8 the app opens by default.
  batchesInFlight: db.backend === "dsql" ? 8 : 2,
  form: "auto",
});

/**
 * The shop's use cases over one database. Handlers call these; these call the repository.
 */
export function createShop(
  db: Database,
  options: {
    retryPolicy?: RetryPolicy;
    engine?: Partial<PurchaseEngineOptions>;
    /** How hold drops are paid (see payments.ts); the built-in test provider when absent. */
    payments?: PaymentProvider;
    /** Told of work the shop does in the background that failed (a statistics refresh). */
    onBackgroundError?: (error: unknown, what: string) => void;
    /** The app's one clock for checks against the present (src/domain/clock.ts); the system's when absent. */
    clock?: Clock;
    /** Drops one seller may create in any hour (DROPS_PER_HOUR; Stress Test copies aside); no limit when absent. */
    dropsPerHour?: number | undefined;
  } = {},
) {
  const clock = options.clock ?? systemClock;
  const cache = new DropCache(undefined, clock);
  const retryPolicy = options.retryPolicy ?? defaultRetryPolicy;
  const engine = { ...defaultEngineOptions(db), ...options.engine };
  let form: Promise<repo.PurchaseForm> | undefined;
  /** The purchase's SQL form, decided once (a failed probe is asked again next time). */
  const purchaseForm = (): Promise<repo.PurchaseForm> => {
    if (engine.form !== "auto") return Promise.resolve(engine.form);
    form ??= repo.probePurchaseForm(db).catch((error: unknown) => {
      form = undefined;
      throw error;
    });
    return form;
  };
  const batcher = new PurchaseBatcher(async (batch) => repo.purchaseBatch(db, await purchaseForm(), batch), {
    maxBatch: engine.batchMax,
    maxInFlight: engine.batchesInFlight,
    maxWaitMs: retryPolicy.deadlineMs,
  });
  const statistics = new PlannerStatistics(
    () => repo.analyzeOrders(db),
    (error) => options.onBackgroundError?.(error, "refreshing the planner's statistics of orders"),
  );
  const lifecycle = createDropLifecycle({ db, cache, retryPolicy });
  const payments = options.payments ?? new TestPaymentProvider();
  // Rehearsal orders are paid here whatever `payments` is; the Stress Test audits its ledger.
  const rehearsalPayments = new TestPaymentProvider();
  const checkout = createCheckout({
    db,
    retryPolicy,
    payments,
    rehearsalPayments,
    isRehearsal: async (dropId) => (await findDrop(dropId)).isRehearsal,
    fingerprint: requestFingerprint,
    clock,
  });

  const orderManagement = createOrderManagement({
    db,
    retryPolicy,
    cache,
    findOwnDrop,
    nameSize,
    readOrders: async (drop, afterUnit, span) => {
      const { spans, units } = await orderSpans(drop);
      return { orders: await readOrderWindow(drop, spans, afterUnit, span), units };
    },
    providerFor: async (order) => ((await findDrop(order.dropId)).isRehearsal ? rehearsalPayments : payments),
    onRefundDeferred: (orderId, error) =>
      options.onBackgroundError?.(error, `refunding order ${orderId} (the payment reconciler will)`),
  });

  async function findDrop(ref: string): Promise<Drop> {
    const cached = cache.get(ref);
    if (cached) return cached;
    const drop = isUuid(ref)
      ? await repo.findDropById(db, ref.toLowerCase())
      : await repo.findDropBySlug(db, ref);
    if (!drop) throw new NotFound("drop");
    cache.remember(drop);
    return drop;
  }

  /**
   * Each drop's sizes, read once per revision of them (a few thousand kept): a list is only ever read after
   * the drop it is filed under, so it is at least that revision, and a purchase carries the drop's revision
   * for the statement to check (sql/0200): a list older than the database's never sells.
   */
  const knownVariants = new Map<string, Variant[]>();
  async function variantsOf(drop: Drop): Promise<Variant[]> {
    if (!drop.variantCount) return [soleVariant(drop)];
    const key = `${drop.id}@${drop.variantsRevision ?? 0}`;
    let variants = knownVariants.get(key);
    if (!variants) {
      variants = await repo.listVariants(db, drop.id);
      if (variants.length === 0) return [soleVariant(drop)];
      if (knownVariants.size >= 5000) knownVariants.clear();
      knownVariants.set(key, variants);
    }
    return variants;
  }

  /** The sizes as the database has them now, for the seller's pages (the cached list may lag a live edit). */
  async function currentVariants(drop: Drop): Promise<Variant[]> {
    const listed = drop.variantCount ? await repo.listVariants(db, drop.id) : [];
    return listed.length > 0 ? listed : [soleVariant(drop)];
  }

  /** The variant a purchase is for, or VariantRequired / UnknownVariant. */
  async function variantFor(drop: Drop, asked: string | undefined): Promise<Variant> {
    const variants = await variantsOf(drop);
    const picked = pickVariant(variants, asked);
    const names = variants.map((variant) => variant.name);
    if (picked === null) throw new VariantRequired(names);
    if (picked === undefined) throw new UnknownVariant(names);
    return picked;
  }

  /** Each variant's stock and status; a drop made without variants is one, with the drop's. */
  async function variantsWithStock(
    drop: Drop,
    remaining: number,
    serverTime: Date,
  ): Promise<VariantWithStock[]> {
    // Read afresh with the stock: a seller may lower or rename a live size from any process, and the
    // cached list (variantsOf, for purchases: its places and prices are what must not be stale) lags.
    const [listed, stock] = drop.variantCount
      ? await Promise.all([repo.listVariants(db, drop.id), repo.readVariantStock(db, drop.id)])
      : [[], new Map([[0, remaining]])];
    const variants = listed.length > 0 ? listed : [soleVariant(drop)];
    return variants.map((variant) => {
      const left = stock.get(variant.position) ?? 0;
      return { ...variant, remaining: left, status: statusOf(drop, left, serverTime) };
    });
  }

  /**
   * A drop's sizes as the seller's order list and CSV count them: each with how far its unit numbers reach,
   * its quantity or, for a size lowered once live, up to its highest order (it keeps the numbers it handed
   * out, docs/variants.md). `units` is their sum, the length of the list counted size after size.
   */
  async function orderSpans(
    drop: Drop,
  ): Promise<{ spans: { variant: Variant; reach: number }[]; units: number }> {
    const variants = await currentVariants(drop);
    const spans = await Promise.all(
      variants.map(async (variant) => {
        const base = storedUnit(variant.position, 0);
        const past = await repo.highestOrderedUnit(
          db,
          drop.id,
          base + variant.quantity,
          base + UNITS_PER_VARIANT,
        );
        return { variant, reach: Math.max(variant.quantity, past - base) };
      }),
    );
    return { spans, units: spans.reduce((sum, span) => sum + span.reach, 0) };
  }

  /**
   * The orders (live, refunded, cancelled) of units afterUnit + 1 .. afterUnit + span counted across the
   * drop, size after size (the first's 1..reach, then the next's ...), each named by its size on a drop of
   * several.
   */
  async function readOrderWindow(
    drop: Drop,
    spans: { variant: Variant; reach: number }[],
    afterUnit: number,
    span: number,
  ): Promise<repo.ManagedOrder[]> {
    const pages: repo.ManagedOrder[][] = [];
    let offset = 0;
    for (const { variant, reach } of spans) {
      const low = Math.max(afterUnit, offset);
      const high = Math.min(afterUnit + span, offset + reach);
      if (low < high)
        pages.push(
          (
            await repo.listManagedOrders(db, drop.id, storedUnit(variant.position, low - offset), high - low)
          ).map((order) => (drop.variantCount ? withSize(order, variant) : order)),
        );
      offset += reach;
    }
    return pages.flat();
  }

  const withSize = (order: repo.ManagedOrder, variant: Variant): repo.ManagedOrder => ({
    ...order,
    variantId: variant.id,
    variantName: variant.name,
  });

  /** The order named by its size (id and name, as the database has them now) on a drop of several. */
  async function nameSize(order: repo.ManagedOrder): Promise<repo.ManagedOrder> {
    const drop = await findDrop(order.dropId);
    if (!drop.variantCount) return order;
    const variant = (await currentVariants(drop)).find((v) => v.position === order.variant);
    return variant ? withSize(order, variant) : order;
  }

  async function findOwnDrop(seller: Seller, ref: string): Promise<Drop> {
    const drop = await findDrop(ref);
    // Another seller's drop is reported as missing, so ids cannot be probed.
    if (drop.sellerId !== seller.id) throw new NotFound("drop");
    return drop;
  }

  /** Draw drops and waitlists: one queue per drop, offers as holds (issue 17, docs/draws.md). */
  const fairness = createFairness({ db, retryPolicy });

  return {
    db,
    /** "Now" for checks against the present (a go-live not in the past); tests inject it through createApp. */
    clock,
    cache,
    batcher,
    /** Keeps the planner's statistics of orders fresh while drops sell (planner-statistics.ts). */
    statistics,
    /** Holds, payment, release and the expiry sweep of hold drops (issue 11). */
    checkout,
    /** Draw drops and waitlists: one queue per drop, offers as holds (issue 17, docs/draws.md). */
    fairness,
    /** The seller's orders: shipping addresses, refund, cancel, fulfil (issue 18 §2, §3). */
    orderManagement,
    payments,
    /** The test provider that pays rehearsal drops' orders (see createCheckout). */
    rehearsalPayments,
    /** Which form the purchase runs in on this backend ("cte" or "transaction"), for the start-up log. */
    purchaseForm,

    async createSeller(input: { email: string; name: string; password: string }) {
      const apiKey = newApiKey();
      const account = {
        email: input.email,
        name: input.name,
        passwordHash: await hashPassword(input.password),
        apiKeyHash: hashApiKey(apiKey),
      };
      try {
        const seller = await withRetry(retryPolicy, () => repo.insertSeller(db, account));
        // The account exists now; if its shop address cannot be given yet, the first page that needs it will.
        await withRetry(retryPolicy, () => assignShopSlug(db, seller.id, seller.name)).catch(() => undefined);
        return { seller, apiKey };
      } catch (error) {
        if (violatedConstraint(error) === "sellers_email_key") throw new EmailTaken();
        throw error;
      }
    },

    async sellerByApiKey(apiKey: string): Promise<Seller> {
      const seller = await repo.findSellerByApiKeyHash(db, hashApiKey(apiKey));
      if (!seller) throw new Unauthorized();
      return seller;
    },

    async rotateApiKey(seller: Seller): Promise<string> {
      const apiKey = newApiKey();
      await withRetry(retryPolicy, () => repo.updateSellerApiKey(db, seller.id, hashApiKey(apiKey)));
      return apiKey;
    },

    async createDrop(
      seller: Seller,
      input: NewDropInput,
      flags: { rehearsalOf?: string } = {},
    ): Promise<Drop> {
      if (options.dropsPerHour !== undefined && flags.rehearsalOf === undefined) {
        await checkDropsPerHour(db, seller.id, options.dropsPerHour);
      }
      const { variants } = input;
      if (variants) {
        const problems = variantProblems(variants);
        const total = variants.reduce((sum, variant) => sum + variant.quantity, 0);
        if (input.quantity !== undefined && input.quantity !== total)
          problems.push(
            `quantity (${input.quantity}) must be the sum of the variants' quantities (${total})`,
          );
        // A draw's queue offers the next free unit whatever it is, so a draw sells one size (docs/draws.md).
        if (input.draw && variants.length > 1) problems.push("a draw drop sells one variant");
        if (problems.length > 0)
          throw new InvalidInput(problems.map((message) => ({ path: "variants", message })));
      } else if (input.quantity === undefined) {
        throw new InvalidInput([{ path: "quantity", message: "quantity is required (or variants)" }]);
      }
      const quantity = variants
        ? variants.reduce((sum, variant) => sum + variant.quantity, 0)
        : input.quantity!;
      const buckets = variants
        ? planVariantBuckets(variants.map((variant) => variant.quantity))
        : planBuckets(quantity, input.bucketCount ?? bucketCountFor(quantity));
      // Each try is one statement: a write conflict (40001, e.g. DSQL's OC001 after a schema change) or a
      // slug that happens to be taken leaves nothing behind, so the whole statement is simply tried again.
      return withRetry(retryPolicy, async () => {
        try {
          const drop = await repo.insertDropWithStock(
            db,
            {
              ...input,
              quantity,
              sellerId: seller.id,
              slug: slugFor(input.title),
              isRehearsal: flags.rehearsalOf !== undefined,
              rehearsalOf: flags.rehearsalOf ?? null,
            },
            buckets,
          );
          cache.remember(drop);
          return drop;
        } catch (error) {
          if (violatedConstraint(error) === "drops_slug_key") throw new TryAgain("slug taken");
          throw error;
        }
      });
    },

    findDrop,
    findOwnDrop,
    /** The drop's variants in the seller's order (one, "Standard", for a drop made without variants). */
    variantsOf,
    currentVariants,

    /** The drop as the database has it now (its mode, terms and switches may have changed elsewhere). */
    async currentDrop(ref: string): Promise<Drop> {
      const fresh = await repo.findDropById(db, (await findDrop(ref)).id);
      if (!fresh) throw new NotFound("drop");
      cache.remember(fresh);
      return fresh;
    },

    /** The drop read afresh (its terms and switches may have changed since it was cached) with its stock. */
    async dropWithStock(ref: string): Promise<DropWithStock> {
      const known = await findDrop(ref);
      const [fresh, images, draw] = await Promise.all([
        repo.readDropWithStock(db, known.id),
        imagesOfDrop(db, known.id),
        fairness.findDraw(known.id),
      ]);
      if (!fresh) throw new NotFound("drop");
      cache.remember(fresh.drop);
      const variants = await variantsWithStock(fresh.drop, fresh.remaining, fresh.serverTime);
      return {
        ...fresh,
        status: statusOf(fresh.drop, fresh.remaining, fresh.serverTime),
        images,
        variants,
        ...(draw
          ? { draw: { entriesCloseAt: new Date(draw.entries_close_at), commitment: draw.commitment } }
          : {}),
      };
    },

    async editDrop(seller: Seller, ref: string, changes: DropChanges): Promise<Drop> {
      const drop = await findOwnDrop(seller, ref);
      // A draw's queue offers the next free unit whatever it is, so a draw sells one size (docs/draws.md).
      if (changes.variants && changes.variants.length > 1 && (await fairness.findDraw(drop.id)))
        throw new InvalidInput([{ path: "variants", message: "a draw drop sells one variant" }]);
      const edited = await lifecycle.edit(seller, drop, changes);
      // The edited drop (remembered with its new revision of sizes) brings its new list here; other processes
      // find out from the purchase statement, which refuses an older revision (docs/variants.md).
      if (changes.variants !== undefined) cache.forgetSoldOut(drop.id);
      return edited;
    },

    async cancelDrop(seller: Seller, ref: string): Promise<Drop> {
      return lifecycle.cancel(seller, await findOwnDrop(seller, ref));
    },

    async pauseDrop(seller: Seller, ref: string, paused: boolean): Promise<Drop> {
      return lifecycle.setPaused(seller, await findOwnDrop(seller, ref), paused);
    },

    async purchase(ref: string, asked: PurchaseRequest): Promise<PurchaseResult> {
      const buy = async (drop: Drop): Promise<PurchaseResult> => {
        const request = forVerifiedFans(drop, asked);
        const variant = await variantFor(drop, request.variant);
        const named = drop.variantCount ? { variant } : {};
        if (drop.holdSeconds > 0) {
          const held = await checkout.purchase(drop, request, variant);
          return { order: held.order, replay: held.replay, checkout: held, ...named };
        }
        return { ...(await purchase({ db, cache, retryPolicy, batcher }, drop, request, variant)), ...named };
      };
      const counted = (drop: Drop, result: PurchaseResult): PurchaseResult => {
        if (!result.replay) statistics.placed(drop.id);
        return result;
      };
      try {
        const drop = await findDrop(ref);
        try {
          return counted(drop, await buy(drop));
        } catch (error) {
          if (!(error instanceof OrdersModeChanged)) throw error;
          // The cached drop's mode or sizes are stale (changed in another process): read both again.
          const fresh = await repo.findDropById(db, drop.id);
          if (!fresh) throw new NotFound("drop");
          cache.remember(fresh);
          return counted(fresh, await buy(fresh));
        }
      } catch (error) {
        if (error instanceof OrdersModeChanged) throw new Busy();
        // The database was unreachable outside the purchase's own retry (the drop lookup, the sold-out
        // replay lookup): to the buyer that is "busy, try again with your key", whatever page asked.
        if (isDatabaseUnavailable(error)) throw new Busy();
        throw error;
      }
    },

    /** The drop's orders as CSV, streamed page by page (see ordersCsvStream); owner only. */
    async ordersCsv(seller: Seller, ref: string): Promise<{ drop: Drop; csv: ReadableStream<Uint8Array> }> {
      const drop = await findOwnDrop(seller, ref);
      const { spans, units } = await orderSpans(drop);
      const csv = ordersCsvStream(
        drop,
        (afterUnit, limit) => readOrderWindow(drop, spans, afterUnit, limit),
        EXPORT_PAGE_SIZE,
        units,
      );
      return { drop, csv };
    },

    async audit(seller: Seller, ref: string): Promise<Audit> {
      const drop = await findOwnDrop(seller, ref);
      const audit = await repo.auditDrop(db, drop.id);
      if (!audit) throw new NotFound("drop");
      if (!drop.variantCount) return audit;
      const [variants, sold, left] = await Promise.all([
        currentVariants(drop),
        repo.countVariantSales(db, drop.id),
        repo.readVariantStock(db, drop.id),
      ]);
      return {
        ...audit,
        variants: variants.map((variant) => {
          const sales = sold.get(variant.position) ?? 0;
          return {
            name: variant.name,
            quantity: variant.quantity,
            sold: sales,
            remaining: left.get(variant.position) ?? 0,
            oversold: Math.max(0, sales - variant.quantity),
          };
        }),
      };
    },

    async orders(
      seller: Seller,
      ref: string,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<{
      orders: Order[];
      nextCursor: string | undefined;
      /** The variant of an order, on a drop of several variants (undefined otherwise). */
      variantOf: (order: Order) => Variant | undefined;
    }> {
      const drop = await findOwnDrop(seller, ref);
      const [orders, variants] = await Promise.all([
        repo.listOrders(db, drop.id, page.limit + 1, page.cursor),
        variantsOf(drop),
      ]);
      const more = orders.length > page.limit;
      const shown = more ? orders.slice(0, page.limit) : orders;
      const last = shown.at(-1);
      const variantOf = (order: Order) =>
        drop.variantCount ? variants.find((v) => v.position === (order.variant ?? 0)) : undefined;
      return { orders: shown, nextCursor: more && last ? last.id : undefined, variantOf };
    },
  };
}

export type Shop = ReturnType<typeof createShop>;

/**
 * A verified-fans drop buys only with a fan token, for the address it proves (a `fan` in the request is
 * ignored); the per-fan limit is then the database's on that address's key, as for any fan. Checked in
 * memory: the token was verified without a database read, and no statement is added to the purchase.
 */
function forVerifiedFans(drop: Drop, request: PurchaseRequest): PurchaseRequest {
  if (!drop.verifiedFans) return request;
  if (!request.verified) throw new FanUnverified();
  return { ...request, fan: request.verified.email };
}

/**
 * Refuses a seller's new drop (RateLimited, 429 + Retry-After) once `perHour` were created in the last hour:
 * every watched drop costs the live counters' read its share and the database its rows, and four free
 * accounts once made 5,000 drops at will (issue 15 §2). Counted in the database, so every process agrees;
 * creations at the same instant may all pass the count, which lets a limit of N become N plus a few.
 */
async function checkDropsPerHour(db: Database, sellerId: string, perHour: number): Promise<void> {
  const recent = await repo.recentDropsOf(db, sellerId, 3600);
  if (recent.count >= perHour) {
    throw new RateLimited(
      recent.secondsUntilOldestLeaves,
      `This account created ${recent.count} drops in the last hour.`,
    );
  }
}
