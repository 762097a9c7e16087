import { type Database, sqlState, violatedConstraint } from "../../db/database";
import * as repo from "../../repository";
import { Cancelled, DrawTermsBroken, DropLive, NotFound } from "../errors";
import type { DropCache } from "../purchase/drop-cache";
import { type RetryPolicy, TryAgain, withRetry } from "../purchase/retry";
import { planBuckets } from "../purchase/stock-plan";
import type { Drop, Seller } from "../types";

export type DropChanges = repo.DropChanges;

interface LifecycleDeps {
  db: Database;
  cache: DropCache;
  retryPolicy: RetryPolicy;
}

/**
 * The seller's hands on a drop after creating it: edit before go-live, cancel before go-live, pause and
 * resume at any time. Each is one statement whose conditions the database judges on its own clock; the
 * answers are the typed errors DropLive, Cancelled and NotFound.
 * @example await lifecycle.edit(seller, drop, { priceCents: 2500 })
 */
export function createDropLifecycle({ db, cache, retryPolicy }: LifecycleDeps) {
  /** Runs the edit/cancel statement, retrying when a purchase at go-live raced it (see the repository). */
  async function changeUpcoming(seller: Seller, drop: Drop, changes: DropChanges, cancel: boolean) {
    const buckets = changes.quantity === undefined ? undefined : planBuckets(changes.quantity);
    const outcome = await withRetry(retryPolicy, async () => {
      try {
        return await repo.changeUpcomingDrop(db, { dropId: drop.id, sellerId: seller.id }, changes, {
          cancel,
          buckets,
        });
      } catch (error) {
        // 23514: the statement's guard found a unit sold meanwhile; a bucket key clash means the same.
        if (sqlState(error) === "23514" || violatedConstraint(error) === "stock_buckets_pkey") {
          throw new TryAgain("a purchase raced the edit at go-live");
        }
        throw error;
      }
    });
    if (!outcome.found) throw new NotFound("drop");
    return outcome;
  }

  const remembered = (drop: Drop): Drop => {
    cache.remember(drop);
    return drop;
  };

  return {
    /**
     * Changes any of the terms. Once live, price, currency, quantity, go-live and the orders mode (instant or
     * checkout) are fixed: DropLive; a checkout drop's hold length is not (new holds take it). A draw drop's
     * close is fixed once live too (entries are open), and no edit may break a draw's terms: DrawTermsBroken.
     */
    async edit(seller: Seller, drop: Drop, changes: DropChanges): Promise<Drop> {
      const outcome = await changeUpcoming(seller, drop, changes, false);
      if (outcome.cancelled) throw new Cancelled();
      if (!outcome.upcoming && outcome.changesFixedTerms) throw new DropLive();
      // A draw's hold, verified fans, close after go-live and sale mode (docs/draws.md): 422, nothing written.
      if (outcome.drawProblems.length > 0) throw new DrawTermsBroken(outcome.drawProblems);
      if (!outcome.drop) throw new DropLive();
      return remembered(outcome.drop);
    },

    /** Cancels a drop before go-live; a live drop is paused instead (DropLive). Cancelling twice is fine. */
    async cancel(seller: Seller, drop: Drop): Promise<Drop> {
      const outcome = await changeUpcoming(seller, drop, {}, true);
      if (outcome.cancelled) {
        const current = await repo.findDropById(db, drop.id);
        if (!current) throw new NotFound("drop");
        return remembered(current);
      }
      if (!outcome.drop) throw new DropLive("The drop is live: it cannot be cancelled. Pause it instead.");
      return remembered(outcome.drop);
    },

    /** The kill switch: on (`paused`) or off. A cancelled drop cannot be paused or resumed. */
    async setPaused(seller: Seller, drop: Drop, paused: boolean): Promise<Drop> {
      const updated = await withRetry(retryPolicy, () =>
        repo.setDropPaused(db, { dropId: drop.id, sellerId: seller.id }, paused),
      );
      if (!updated) throw new NotFound("drop");
      if (updated.cancelledAt) throw new Cancelled();
      return remembered(updated);
    },
  };
}

export type DropLifecycle = ReturnType<typeof createDropLifecycle>;
