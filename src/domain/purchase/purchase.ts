import { createHash, randomUUID } from "node:crypto";
import { type Database, isOutcomeUnknown, violatedConstraint } from "../../db/database";
import * as repo from "../../repository";
import type { CheckoutOrder } from "../../repository/checkout/holds";
import {
  Busy,
  Cancelled,
  IdempotencyKeyReused,
  LimitReached,
  NotFound,
  NotLive,
  OrdersModeChanged,
  Paused,
  SoldOut,
} from "../errors";
import type { Drop, Order } from "../types";
import type { DropCache } from "./drop-cache";
import { identityKey } from "./fan-identity";
import type { PurchaseBatcher } from "./purchase-batcher";
import { type RetryPolicy, TryAgain, withRetry } from "./retry";
import { soleVariant, type Variant } from "./variants";
import { WINNER_KEYS_PAGE, WinnerKeys } from "./winner-keys";

export interface PurchaseRequest {
  fan: string;
  /** The client's key; a repeat with the same key returns the same order. One is made when absent. */
  idempotencyKey?: string | undefined;
  /**
   * The fan a valid fan token names (issue 17 §1), when the request carried one. A verified-fans drop
   * requires it and buys for its address, whatever `fan` says.
   */
  verified?: { email: string } | undefined;
  /** The variant asked for (its id or name); needed only on a drop of several (see variants.ts). */
  variant?: string | undefined;
}

export interface PurchaseResult {
  order: Order;
  /** True when the key had already bought: the same order is returned, nothing new is sold. */
  replay: boolean;
  /** On a hold drop (checkout): the held order and, with a new one only, the fan's order token. */
  checkout?: { order: CheckoutOrder; orderToken?: string | undefined };
  /** On a drop of several variants: the variant bought. */
  variant?: Variant | undefined;
}

/**
 * The request an idempotency key is bound to: the drop, the fan and the variant (hashed, so its length is
 * fixed). The variant is its position, so a size named by its name or by its id is the same request; position
 * 0 (every drop made without variants) adds nothing, so fingerprints stored before variants still match.
 * The fan is lower-cased: the shown form keeps the fan's letter case, and "Ada@x.io" retried as "ada@x.io"
 * is the same request (fingerprints stored while the shown form was lower-cased still match).
 * @example requestFingerprint(dropId, "ada@example.com", 2) !== requestFingerprint(dropId, "ada@example.com", 1)
 */
export function requestFingerprint(dropId: string, fan: string, variantPosition = 0): string {
  const hash = createHash("sha256").update(dropId).update("\0").update(fan.toLowerCase());
  if (variantPosition !== 0) hash.update("\0").update(String(variantPosition));
  return hash.digest("base64url");
}

/**
 * Buys one unit of a drop for a fan, or throws SoldOut / NotLive / Paused / Cancelled / LimitReached / Busy /
 * NotFound / IdempotencyKeyReused. The database decides everything in one transaction, shared with whoever
 * else is buying this drop at that moment (see PurchaseBatcher and repository.purchaseBatch); this function
 * only interprets its answer and retries what may be retried.
 */
export async function purchase(
  deps: { db: Database; cache: DropCache; retryPolicy: RetryPolicy; batcher: PurchaseBatcher },
  drop: Drop,
  request: PurchaseRequest,
  variant: Variant = soleVariant(drop),
): Promise<PurchaseResult> {
  const { db, cache } = deps;
  const position = variant.position;
  // A drop of several variants names the one that sold out; one made without variants answers as before.
  const soldOut = drop.variantCount ? soldOutOf(variant.name) : SOLD_OUT;
  const clientKey = request.idempotencyKey;
  const key = clientKey ?? randomUUID();
  // The fingerprint (a SHA-256) is made only past the sold-out answer, which most of a stampede gets.
  const requester = (): Requester => ({
    fan: request.fan,
    fingerprint: requestFingerprint(drop.id, request.fan, position),
  });

  if (cache.isSoldOut(drop.id, position)) {
    // Only a key that may have won is worth a query; everyone else is answered from memory.
    if (clientKey === undefined) throw soldOut;
    const winners = await cache.loadedWinners(
      drop.id,
      () => loadWinners(db, drop.id, drop.variantCount ? position : undefined),
      position,
    );
    if (winners && !winners.mayContain(clientKey)) throw soldOut;
    return replayOr(db, drop.id, clientKey, requester(), soldOut);
  }
  const mine = requester();

  // Set once an attempt of this request lost its answer: an order found by the key on a later attempt may
  // be that attempt's own commit, and is then this request's first answer (201), not a replay (200).
  let ownCommitUnknown = false;
  return withRetry(deps.retryPolicy, async (attemptNumber) => {
    let outcome: repo.PurchaseOutcome | undefined;
    try {
      outcome = await deps.batcher.submit(
        drop.id,
        {
          fan: identityKey(request.fan),
          fanShown: request.fan,
          idempotencyKey: key,
          fingerprint: mine.fingerprint,
          attemptNumber,
        },
        { position, priceCents: variant.priceCents, revision: drop.variantsRevision ?? 0 },
      );
    } catch (error) {
      const constraint = violatedConstraint(error);
      // Two copies of one request raced: the other copy's order is the answer.
      if (constraint === "orders_idempotency_key")
        return replayOr(db, drop.id, key, mine, new TryAgain("key raced"), !ownCommitUnknown);
      // The same fan bought concurrently and took this fan slot: count again.
      if (constraint === "orders_fan_slot_key") throw new TryAgain("fan slot raced");
      if (isOutcomeUnknown(error)) {
        ownCommitUnknown = true;
        return afterLostConnection(db, drop.id, key, mine);
      }
      throw error;
    }
    if (!outcome) throw new NotFound("drop");
    // The drop sells the other way, or its sizes changed, since this process cached it: read it again.
    if (outcome.isHold || outcome.sizesChanged) throw new OrdersModeChanged();
    if (outcome.placed) {
      cache.noteSale(drop.id, position);
      return { order: outcome.placed, replay: false };
    }
    if (outcome.existing) return { order: ownOrder(outcome.existing, mine), replay: !ownCommitUnknown };
    if (outcome.isCancelled) throw new Cancelled();
    // Paused is checked before sold out so the sold-out cache never remembers a drop that was only paused;
    // a paused drop whose stock the database shows at 0 is sold out for good, and said so below.
    if (outcome.isPaused && outcome.hadStock) throw new Paused();
    // The statement gives the start only for a drop that was not live (`starts_at` is NOT NULL).
    if (!outcome.isLive) throw new NotLive(outcome.startsAt!);
    if (!outcome.hadStock) {
      cache.markSoldOut(drop.id, position);
      throw soldOut;
    }
    if (!outcome.withinLimit) throw new LimitReached(outcome.maxPerFan);
    // The bucket we picked was emptied between our snapshot and our update; others still have stock.
    throw new TryAgain("bucket emptied meanwhile");
  });
}

/**
 * The cached sold-out answer is one shared error: it carries nothing per request, and building a fresh
 * Error (with its stack) for each of a stampede's rejections costs more than the rest of the answer.
 */
const SOLD_OUT = new SoldOut();

/** The same for a named variant: one shared error per variant name (a few hundred at most are kept). */
const soldOutByName = new Map<string, SoldOut>();
function soldOutOf(name: string): SoldOut {
  let known = soldOutByName.get(name);
  if (!known) {
    if (soldOutByName.size >= 512) soldOutByName.clear();
    known = new SoldOut(name);
    soldOutByName.set(name, known);
  }
  return known;
}

/** The keys that bought the drop (or one of its variants: once sold out, its set is final too). */
const loadWinners = (db: Database, dropId: string, variant?: number) =>
  WinnerKeys.load((afterKey) => repo.listOrderKeys(db, dropId, WINNER_KEYS_PAGE, afterKey, variant));

/** Who is asking: the fan, and the fingerprint of their request. */
interface Requester {
  fan: string;
  fingerprint: string;
}

/**
 * The order a key bought, if this request is the one that bought it. The same key on another request
 * (finding 7: another fan) is refused, and nothing of the first buyer's order is shown. Orders from before
 * fingerprints were stored are compared by their fan.
 */
function ownOrder(keyed: repo.KeyedOrder, requester: Requester): Order {
  const same =
    keyed.fingerprint === null
      ? keyed.order.fan === requester.fan
      : keyed.fingerprint === requester.fingerprint;
  if (!same) throw new IdempotencyKeyReused();
  return keyed.order;
}

/** A rejection, unless this key already bought: then the buyer gets their order back. */
async function replayOr(
  db: Database,
  dropId: string,
  key: string | undefined,
  requester: Requester,
  rejection: Error,
  replay = true,
): Promise<PurchaseResult> {
  const existing = key === undefined ? undefined : await repo.findOrderByKey(db, dropId, key);
  if (existing) return { order: ownOrder(existing, requester), replay };
  throw rejection;
}

/**
 * The connection broke (or the server cancelled the statement) while it ran, so it may or may not have
 * committed. Look the key up before anything else: found means it committed and the buyer won; not found
 * means it did not, and the purchase is tried again (the unique key makes a second commit impossible).
 */
async function afterLostConnection(
  db: Database,
  dropId: string,
  key: string,
  requester: Requester,
): Promise<PurchaseResult> {
  let existing: repo.KeyedOrder | undefined;
  try {
    existing = await repo.findOrderByKey(db, dropId, key);
  } catch {
    throw new Busy();
  }
  if (existing) return { order: ownOrder(existing, requester), replay: false };
  throw new TryAgain("connection lost before commit");
}
