/**
 * The seller runs their orders (issue 18 §2, §3): reads one with its address, refunds a paid one through
 * the payment provider, cancels an unpaid instant one, marks one or all fulfilled; the fan gives or
 * corrects their address until the order is fulfilled. The database decides every state change (one
 * conditional statement or transaction each, see repository/orders/manage.ts); this module checks who
 * asks, says why a change is refused, and settles the refund's money.
 */
import type { Database } from "../../db/database";
import * as repo from "../../repository";
import type { ManagedOrder, ShippingAddress } from "../../repository/orders/manage";
import type { PaymentProvider } from "../checkout/payments";
import { NotFound, OrderStateConflict } from "../errors";
import type { DropCache } from "../purchase/drop-cache";
import { type RetryPolicy, withRetry } from "../purchase/retry";
import type { Drop, Seller } from "../types";

/** Orders fulfilled per transaction by "mark all fulfilled" (two changed rows each: DSQL's 3,000 is far). */
export const FULFIL_BATCH = 500;

export interface OrderManagementDeps {
  db: Database;
  retryPolicy: RetryPolicy;
  cache: DropCache;
  /** The provider that took an order's payment (rehearsal drops' test provider for their orders). */
  providerFor: (order: { dropId: string }) => Promise<PaymentProvider>;
  /** The seller's own drop, or NotFound (another seller's drop is "not found", so ids cannot be probed). */
  findOwnDrop: (seller: Seller, ref: string) => Promise<Drop>;
  /** The order named by its size (`variantId`, `variantName`) on a drop of several; as it is otherwise. */
  nameSize: (order: ManagedOrder) => Promise<ManagedOrder>;
  /**
   * The drop's orders (live and closed) of units (afterUnit, afterUnit + span] counted size after size,
   * each named by its size, and how far the count reaches (`units`).
   */
  readOrders: (
    drop: Drop,
    afterUnit: number,
    span: number,
  ) => Promise<{ orders: ManagedOrder[]; units: number }>;
  /** Told when a refund's money could not be given back at once (the reconciler will). */
  onRefundDeferred?: (orderId: string, error: unknown) => void;
}

const STATE_WORDS: Record<repo.ManagedStatus, string> = {
  placed: "placed",
  held: "held, not paid yet",
  expired: "an expired hold",
  paid: "paid",
  refunded: "refunded",
  cancelled: "cancelled",
};

/** Why `action` is refused on `order`, in the seller's words. */
function conflict(
  order: ManagedOrder,
  action: "refund" | "cancel" | "fulfil" | "address",
): OrderStateConflict {
  const status = order.fulfilledAt ? "fulfilled" : order.status;
  const now = order.fulfilledAt ? "fulfilled" : STATE_WORDS[order.status];
  const reason = {
    refund: "Only a paid order that is not fulfilled yet can be refunded",
    cancel: "Only an instant order that is not fulfilled yet can be cancelled (refund a paid one)",
    fulfil: "Only a paid or instant order can be marked fulfilled, once",
    address: "The address can be changed until the seller marks the order fulfilled",
  }[action];
  return new OrderStateConflict(status, `${reason}: this order is ${now}.`);
}

export function createOrderManagement(deps: OrderManagementDeps) {
  const { db } = deps;
  const retry = <T>(work: () => Promise<T>) => withRetry(deps.retryPolicy, work);

  /** The seller's own order; anyone else's (or none) is "not found". */
  async function ownOrder(seller: Seller, orderId: string): Promise<ManagedOrder> {
    const order = await retry(() => repo.findManagedOrder(db, orderId));
    if (!order || order.sellerId !== seller.id) throw new NotFound("order");
    return order;
  }

  const returnListeners = new Set<(dropId: string) => void>();
  /**
   * A unit came back to stock: this process believes its drop sold out no longer (the purchase's cache at
   * once, and whoever listens, e.g. the live counters' watcher). Other processes' caches believe "sold out"
   * for at most SOLD_OUT_BELIEF_MS.
   */
  const reopen = (order: ManagedOrder) => {
    deps.cache.forgetSoldOut(order.dropId);
    for (const listener of returnListeners) listener(order.dropId);
  };

  /**
   * After the refund's transaction: the money goes back through the provider, and the attempt the
   * transaction opened is settled. If either fails, the attempt stays open and the payment reconciler
   * refunds it (the order is no longer paid, so it keeps nothing).
   */
  async function giveMoneyBack(order: ManagedOrder): Promise<void> {
    if (!order.paymentRef) return;
    const paymentRef = order.paymentRef;
    try {
      const provider = await deps.providerFor(order);
      await provider.refund(paymentRef);
      await retry(() => repo.settleAttemptsOfPayment(db, order.id, paymentRef, "refunded", "seller refund"));
    } catch (error) {
      deps.onRefundDeferred?.(order.id, error);
    }
  }

  const named = (order: ManagedOrder) => retry(() => deps.nameSize(order));

  return {
    /** The seller's own order, named by its size; anyone else's (or none) is "not found". */
    order: async (seller: Seller, orderId: string) => named(await ownOrder(seller, orderId)),

    /** Calls `listener` with the drop whenever a refund or cancel here returns one of its units. */
    whenUnitReturned(listener: (dropId: string) => void): void {
      returnListeners.add(listener);
    },

    /** Refunds a paid order in full; its unit goes back on sale. */
    async refund(seller: Seller, orderId: string): Promise<ManagedOrder> {
      const order = await ownOrder(seller, orderId);
      if (order.status !== "paid" || order.fulfilledAt) throw conflict(order, "refund");
      const provider = await deps.providerFor(order);
      const closed = await retry(() => repo.closeOrder(db, orderId, "refunded", provider.name));
      if (!closed) throw conflict(await ownOrder(seller, orderId), "refund");
      reopen(closed);
      await giveMoneyBack(closed);
      return named(closed);
    },

    /** Cancels an unpaid instant order; its unit goes back on sale. */
    async cancel(seller: Seller, orderId: string): Promise<ManagedOrder> {
      const order = await ownOrder(seller, orderId);
      if (order.status !== "placed" || order.fulfilledAt) throw conflict(order, "cancel");
      const closed = await retry(() => repo.closeOrder(db, orderId, "cancelled", ""));
      if (!closed) throw conflict(await ownOrder(seller, orderId), "cancel");
      reopen(closed);
      return named(closed);
    },

    /** Marks a paid or instant order fulfilled (shipped), with the carrier's tracking page if given. */
    async fulfil(seller: Seller, orderId: string, trackingUrl: string | null): Promise<ManagedOrder> {
      const order = await ownOrder(seller, orderId);
      if (order.fulfilledAt || (order.status !== "paid" && order.status !== "placed"))
        throw conflict(order, "fulfil");
      const fulfilled = await retry(() => repo.fulfilOrder(db, orderId, trackingUrl));
      if (!fulfilled) throw conflict(await ownOrder(seller, orderId), "fulfil");
      return named(fulfilled);
    },

    /**
     * Marks every paid and instant order of the drop fulfilled, except those still missing the address the
     * drop asks for; batch by batch. Returns how many were marked and how many wait for an address.
     */
    async fulfilAll(seller: Seller, dropRef: string): Promise<{ fulfilled: number; addressMissing: number }> {
      const drop = await deps.findOwnDrop(seller, dropRef);
      let fulfilled = 0;
      for (;;) {
        const marked = await retry(() => repo.fulfilPaidOrders(db, drop.id, FULFIL_BATCH));
        fulfilled += marked;
        if (marked < FULFIL_BATCH) break;
      }
      return { fulfilled, addressMissing: await retry(() => repo.countAddressMissing(db, drop.id)) };
    },

    /**
     * A drop's orders, live and closed, of units (afterUnit, afterUnit + span] counted size after size
     * (every size's orders, each named by its size), and how far that count reaches (`units`).
     */
    async listOfDrop(seller: Seller, dropRef: string, afterUnit: number, span: number) {
      const drop = await deps.findOwnDrop(seller, dropRef);
      return { drop, ...(await retry(() => deps.readOrders(drop, afterUnit, span))) };
    },

    /**
     * The fan's address on their order (the caller has checked the fan's key: the order token or the
     * receipt link). Refused once the order is fulfilled, refunded, cancelled or its hold ended.
     */
    async setShipping(orderId: string, address: ShippingAddress): Promise<ManagedOrder> {
      const updated = await retry(() => repo.setShipping(db, orderId, address));
      if (updated) return named(updated);
      const order = await retry(() => repo.findManagedOrder(db, orderId));
      if (!order) throw new NotFound("order");
      throw conflict(order, "address");
    },

    /** An order found by a caller that checked the fan's key itself. */
    async fanOrder(orderId: string): Promise<ManagedOrder> {
      const order = await retry(() => repo.findManagedOrder(db, orderId));
      if (!order) throw new NotFound("order");
      return named(order);
    },
  };
}

export type OrderManagement = ReturnType<typeof createOrderManagement>;
