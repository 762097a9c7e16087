export interface Seller {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

export interface Drop {
  id: string;
  sellerId: string;
  slug: string;
  title: string;
  description: string;
  priceCents: number;
  currency: string;
  quantity: number;
  startsAt: Date;
  maxPerFan: number;
  bucketCount: number;
  isRehearsal: boolean;
  createdAt: Date;
  /** Set while the seller has paused sales (the kill switch); the purchase statement checks it. */
  pausedAt: Date | null;
  /** Set once the seller cancelled the drop before go-live; nothing sells after that. */
  cancelledAt: Date | null;
  /** Seconds a win is held for payment (checkout); 0 is an instant order, final when placed. */
  holdSeconds: number;
  /** Only verified fans may buy (issue 17 §1): a fan token is required and names the fan. Fixed once live. */
  verifiedFans: boolean;
  /** Whether each buyer is asked where to ship their unit (issue 18 §2); absent is false. */
  collectShipping?: boolean;
  /** How many named variants (sizes, colours) it sells; 0: made without variants, one unnamed variant. */
  variantCount?: number;
  /** How many times its sizes were changed after creation: purchases carry it (sql/0200); absent is 0. */
  variantsRevision?: number;
}

/** The terms a seller sets for a drop; everything else about it is derived or assigned. */
export type DropTerms = Pick<
  Drop,
  "title" | "description" | "priceCents" | "currency" | "quantity" | "startsAt" | "maxPerFan"
>;

export interface Order {
  id: string;
  dropId: string;
  /** 1..quantity within its variant (see domain/purchase/variants.ts). */
  unitNo: number;
  /** The variant's position in the drop (0 for a drop made without variants). */
  variant?: number;
  fan: string;
  priceCents: number;
  attempts: number;
  createdAt: Date;
}

export type DropStatus = "upcoming" | "live" | "sold_out" | "paused" | "cancelled";

export interface StockSnapshot {
  remaining: number;
  serverTime: Date;
  /** The drop's pause and cancel switches as the same read saw them (absent: taken from the drop). */
  paused?: boolean;
  cancelled?: boolean;
  /**
   * The drop sells with checkout (holds), as the same read saw it (absent: taken from the drop). A drop may
   * switch mode before go-live in another process, so a cached drop's mode is not to be trusted.
   */
  hold?: boolean;
  /** The drop's go-live as the same read saw it (absent: taken from the drop); it may move before go-live. */
  startsAt?: Date;
  /** A drop of several sizes: units left of each, by position (absent on a one-size drop). */
  sizes?: readonly number[];
  /**
   * How far the drop's draw or waitlist has moved (offers made × 2, plus 1 once a draw is ranked); absent while
   * nobody entered. Open pages of waiting fans re-fetch their queue box only when it changes (docs/draws.md).
   */
  queue?: number | undefined;
}

export interface Audit {
  quantity: number;
  sold: number;
  remaining: number;
  oversold: number;
  duplicateUnits: number;
  unitsOutOfRange: number;
  /** On a drop of several variants: the same count for each, in the seller's order. */
  variants?: VariantAudit[];
}

export interface VariantAudit {
  name: string;
  quantity: number;
  sold: number;
  remaining: number;
  oversold: number;
}
