/** The purchase's types, shared by purchase.ts and the two SQL forms (purchase-sql.ts, purchase-steps.ts). */
import type { Order } from "../../domain/types";

export type PurchaseForm = "cte" | "transaction";

/** One buyer in a batch. Keys and fans are distinct within a batch (the batcher sees to that). */
export interface BatchMember {
  /** The per-fan limit's key (identityKey): what the limit counts and the batcher keeps distinct. */
  fan: string;
  /** The identity as the fan typed it (shownIdentity), stored to be shown. */
  fanShown: string;
  idempotencyKey: string;
  /** Hash of what this request asks for (drop, fan): a key reused for another request is refused. */
  fingerprint: string;
  attemptNumber: number;
}

export interface PurchaseBatch {
  dropId: string;
  members: readonly BatchMember[];
  /** Which of the buckets still holding stock the search starts at (0 = the lowest); then upwards. */
  startBucket: number;
  /** The variant's position (domain/purchase/variants.ts): only its buckets are searched. Absent: 0. */
  variant?: number;
  /** The variant's own price, if it has one; absent or null: the drop's, as the statement reads it. */
  variantPriceCents?: number | null;
  /** The revision of the list of sizes the variant was read from (sql/0200); absent: 0. */
  variantsRevision?: number;
}

/** An order found by its idempotency key, with the fingerprint of the request that placed it. */
export interface KeyedOrder {
  order: Order;
  /** Null for orders placed before fingerprints were stored. */
  fingerprint: string | null;
}

/** What the database decided for one member. */
export interface PurchaseOutcome {
  isLive: boolean;
  /** The seller's kill switch was on in the transaction's snapshot, so nothing was claimed. */
  isPaused: boolean;
  /** The drop was cancelled in the transaction's snapshot, so nothing was claimed. */
  isCancelled: boolean;
  /** The drop sells with checkout (holds.ts), not here: nothing was claimed. */
  isHold: boolean;
  /** The batch's list of sizes is older than the database's (variantsRevision): nothing was claimed. */
  sizesChanged: boolean;
  /** When the drop goes live; only for a drop that was not live in the snapshot (`isLive` false). */
  startsAt: Date | undefined;
  maxPerFan: number;
  withinLimit: boolean;
  /** The statement's snapshot showed stock left in the drop (0 everywhere is the only "sold out"). */
  hadStock: boolean;
  /** The order this key already bought (a replay, or a reuse if the fingerprint differs), if any. */
  existing: KeyedOrder | undefined;
  /** The order this transaction placed for the member, if any. */
  placed: Order | undefined;
}
