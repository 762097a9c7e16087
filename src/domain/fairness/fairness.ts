/**
 * Draw drops and waitlists (issue 17 §2, §3; docs/draws.md). Both are one queue per drop served by one
 * offer engine (repository/fairness/offers.ts): an offer is a hold on a free unit for the next entry, in
 * rank order (a draw, after its ranking) or join order (a waitlist). Holds lapse and are released through
 * checkout's sweep, which offers each returned unit on in the same transaction.
 *
 * The draw runs exactly once whichever process gets there first, and is resumable: the entry list freezes
 * (one conditional UPDATE), the ranking is a pure function of the frozen list, the seed and the public
 * value (draw-ranking.ts), and ranks are written in chunks only where not yet written. Two processes, or a
 * process finishing another's crashed run, compute and write the same ranks; a rank already written that
 * disagrees stops the run loudly instead of being redone differently.
 */
import { type Database, violatedConstraint } from "../../db/database";
import * as repo from "../../repository";
import {
  DrawState,
  EntriesClosed,
  HoldExpired,
  InvalidInput,
  NotFound,
  OrderStateConflict,
  UnitsAvailable,
} from "../errors";
import { identityKey } from "../purchase/fan-identity";
import { type RetryPolicy, TryAgain, withRetry } from "../purchase/retry";
import { commitmentOf, newSeed, rankEntries } from "./draw-ranking";

/**
 * How long after the close the entry list freezes: an entry's INSERT that began just before the close may
 * commit a moment after it (statements are bounded by the statement timeout, far below this).
 */
export const DRAW_GRACE_SECONDS = 30;
/** Ranks written per transaction (one changed row each; DSQL allows 3,000). */
export const RANK_CHUNK = 1000;
/** Offers made per transaction (about six changed rows each). */
export const OFFER_CHUNK = 250;

export type EntryStatus =
  | { status: "entered" }
  | { status: "waiting"; position: number }
  | { status: "won" | "offered"; orderId: string; orderToken: string; unitNo: number; expiresAt: Date }
  | { status: "paid"; orderId: string; unitNo: number }
  | { status: "lapsed"; orderId: string }
  | { status: "lost" };

export interface DrawTerms {
  seed: string;
  commitment: string;
  entriesCloseAt: Date;
  publicValueSource: string | null;
}

/** The public record of a draw: everything `npm run draw:verify` needs, and nothing secret before its time. */
export interface DrawRecord {
  dropId: string;
  units: number;
  status: "open" | "closed" | "drawn";
  commitment: string;
  committedAt: Date;
  entriesCloseAt: Date;
  publicValueSource: string | null;
  publicValue: string | null;
  seed: string | null;
  drawnAt: Date | null;
  formula: string;
  /** The frozen entry list (pseudonymous references, sorted), once entries closed and the list froze. */
  entries: string[];
  /** The references in rank order, rank 1 first, once drawn. */
  ranking: string[];
  /** Units offered so far: the top of the ranking, then the next in rank as offers lapse. */
  offered: number;
}

export const DRAW_FORMULA =
  "commitment = SHA-256(seed); score = HMAC-SHA256(key = seed, message = publicValue + ':' + entryRef); " +
  "ranking = entries by score ascending (ties by entryRef), rank 1 first; all hex, UTF-8";

export function createFairness(deps: { db: Database; retryPolicy: RetryPolicy }) {
  const { db, retryPolicy } = deps;
  /** Conflicts and lost races (another process offered the same entry) are tried again. */
  const retry = <T>(work: () => Promise<T>) =>
    withRetry(retryPolicy, async () => {
      try {
        return await work();
      } catch (error) {
        const constraint = violatedConstraint(error);
        if (constraint?.startsWith("orders_") || constraint?.startsWith("offer_queue_")) {
          throw new TryAgain(constraint);
        }
        throw error;
      }
    });

  async function drawOf(dropId: string): Promise<repo.DrawRow> {
    const draw = await repo.findDraw(db, dropId);
    if (!draw) throw new NotFound("draw");
    return draw;
  }

  /**
   * A drop's draw, if it has one. A draw is written in its drop's own transaction, so a drop found without
   * one never gets one: those are remembered (a bounded set), and a fan page of a first-come drop asks the
   * database nothing for its draw box.
   */
  const withoutDraw = new Set<string>();
  /** Reads under way, shared by a crowd of page views arriving at once. */
  const reading = new Map<string, Promise<repo.DrawRow | undefined>>();
  function findDraw(dropId: string): Promise<repo.DrawRow | undefined> {
    if (withoutDraw.has(dropId)) return Promise.resolve(undefined);
    const known = reading.get(dropId);
    if (known) return known;
    const read = repo.findDraw(db, dropId).then((draw) => {
      if (!draw) {
        if (withoutDraw.size >= 10_000) withoutDraw.clear();
        withoutDraw.add(dropId);
      }
      return draw;
    });
    reading.set(dropId, read);
    const forget = () => reading.delete(dropId);
    read.then(forget, forget);
    return read;
  }

  /** Offers every free unit of a drop to its waiting entries, a chunk per transaction; answers how many. */
  async function offerAll(dropId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const offers = await retry(() => db.transaction((tx) => repo.offerFreeUnits(tx, dropId, OFFER_CHUNK)));
      total += offers.length;
      if (offers.length < OFFER_CHUNK) return total;
    }
  }

  /**
   * Runs (or finishes) a draw whose entries closed: freeze, rank in chunks, then offer the units. Safe to call
   * from any number of processes at once, and again after a crash. `stopAfterChunks` stops the ranking
   * part-way (a crash, in the tests). `graceSeconds` (DRAW_GRACE_SECONDS when absent) is shortened only by
   * a caller that knows every entry was answered before the close (the Stress Test's rehearsal of a draw).
   * Answers whether the draw is ranked.
   */
  async function runDraw(
    dropId: string,
    options: { stopAfterChunks?: number; graceSeconds?: number } = {},
  ): Promise<boolean> {
    let draw = await drawOf(dropId);
    if (!draw.ranked_at) {
      const grace = options.graceSeconds ?? DRAW_GRACE_SECONDS;
      const frozen = await retry(() => repo.freezeDraw(db, dropId, grace));
      if (frozen === null) return false;
      draw = await drawOf(dropId);
      // The list is frozen (and public); the ranking waits for the named public value.
      if (draw.public_value_source !== null && draw.public_value === null) return false;
      const entries = await repo.listDrawEntries(db, dropId);
      if (entries.length !== frozen) {
        throw new Error(`draw of ${dropId}: ${entries.length} entries, but ${frozen} when the list froze`);
      }
      const ranking = rankEntries(
        draw.seed,
        draw.public_value ?? "",
        entries.map((e) => e.id),
      );
      for (const entry of entries) {
        if (entry.rank !== null && ranking[entry.rank - 1] !== entry.id) {
          throw new Error(
            `draw of ${dropId}: entry ${entry.id} has rank ${entry.rank}, the formula says otherwise`,
          );
        }
      }
      const ranked = new Set(entries.filter((e) => e.rank !== null).map((e) => e.id));
      const missing = ranking.map((id, i) => ({ id, rank: i + 1 })).filter((e) => !ranked.has(e.id));
      let chunks = 0;
      for (let i = 0; i < missing.length; i += RANK_CHUNK) {
        if (options.stopAfterChunks !== undefined && chunks >= options.stopAfterChunks) return false;
        const chunk = missing.slice(i, i + RANK_CHUNK);
        await retry(() =>
          repo.writeRanks(
            db,
            dropId,
            chunk.map((e) => e.id),
            chunk.map((e) => e.rank),
          ),
        );
        chunks++;
      }
      await retry(() => repo.finishRanking(db, dropId));
    }
    await offerAll(dropId);
    return true;
  }

  function statusOf(row: repo.EntryStateRow): EntryStatus {
    if (row.order_id) {
      if (row.order_status === "paid") return { status: "paid", orderId: row.order_id, unitNo: row.unit_no! };
      if (row.order_status === "held" && row.hold_live && row.offer_token) {
        return {
          status: row.kind === "draw" ? "won" : "offered",
          orderId: row.order_id,
          orderToken: row.offer_token,
          unitNo: row.unit_no!,
          expiresAt: new Date(row.expires_at!),
        };
      }
      return { status: "lapsed", orderId: row.order_id };
    }
    if (row.kind === "draw" && !row.ranked) return { status: "entered" };
    if (row.cancelled) return { status: "lost" };
    // A draw's list is done once every unit is paid or the leftovers opened. A waitlist is not: while the
    // drop lasts a unit can come back to it (a seller's cancel or refund; on an instant drop every unit is
    // placed at once, so "every unit paid" would turn each fan away the moment they joined).
    if (row.kind === "draw" && (row.opened || row.paid_units >= row.quantity)) return { status: "lost" };
    return { status: "waiting", position: row.position ?? 1 };
  }

  async function entryStatus(dropId: string, fanShown: string): Promise<EntryStatus | undefined> {
    return (await entryView(dropId, fanShown))?.status;
  }

  /**
   * A fan's entry as their page shows it: its status, its pseudonymous reference (the one the public draw
   * record lists, so the fan can find their own) and its rank once drawn. One read, as entryStatus.
   */
  async function entryView(
    dropId: string,
    fanShown: string,
  ): Promise<{ status: EntryStatus; entryId: string; rank: number | null } | undefined> {
    const row = await repo.findEntryState(db, dropId, identityKey(fanShown));
    return row && { status: statusOf(row), entryId: row.id, rank: row.rank };
  }

  return {
    /** A new draw drop's secret seed and its public commitment, made before the drop (and its entries) exist. */
    drawTerms(entriesCloseAt: Date, publicValueSource: string | null): DrawTerms {
      const seed = newSeed();
      return { seed, commitment: commitmentOf(seed), entriesCloseAt, publicValueSource };
    },

    /** Enters a fan in a draw: 201 the first time, 200 with the same entry after; 409 after the close. */
    async enter(dropId: string, fanShown: string) {
      const outcome = await retry(() => repo.enterDraw(db, { dropId, fan: identityKey(fanShown), fanShown }));
      if (outcome.kind === "refused") {
        if (outcome.reason === "no_drop" || outcome.reason === "not_draw") throw new NotFound("draw");
        if (outcome.reason === "not_live") throw new EntriesClosed("Entries open when the drop goes live.");
        if (outcome.reason === "cancelled") throw new EntriesClosed("The seller cancelled this drop.");
        throw new EntriesClosed();
      }
      const status = (await entryStatus(dropId, fanShown)) ?? { status: "entered" as const };
      return { entry: { id: outcome.entry.id, status: status.status }, created: outcome.created };
    },

    entryStatus,
    entryView,

    async joinWaitlist(dropId: string, fanShown: string) {
      const outcome = await retry(() =>
        repo.joinWaitlist(db, { dropId, fan: identityKey(fanShown), fanShown }),
      );
      if (outcome.kind === "refused") {
        if (outcome.reason === "no_drop") throw new NotFound("drop");
        if (outcome.reason === "not_draw") throw new DrawState("This drop is sold by draw: enter the draw.");
        if (outcome.reason === "units_free") throw new UnitsAvailable();
        if (outcome.reason === "cancelled") throw new DrawState("The seller cancelled this drop.");
        throw new DrawState("The waitlist opens when the drop goes live and sells out.");
      }
      const status = await entryStatus(dropId, fanShown);
      return {
        entry: { id: outcome.entry.id, status: status?.status ?? "waiting" },
        position: status?.status === "waiting" ? status.position : null,
        created: outcome.created,
      };
    },

    /** Leaves the waitlist; true when there was a waiting place to leave. */
    leaveWaitlist(dropId: string, fanShown: string): Promise<boolean> {
      return retry(() => repo.leaveWaitlist(db, dropId, identityKey(fanShown)));
    },

    runDraw,
    offerAll,

    /** The periodic work: run draws that are due, and offer units that are free where fans wait. */
    async tick(): Promise<{ drawn: number; offered: number }> {
      let drawn = 0;
      let offered = 0;
      for (const dropId of await repo.dueDraws(db, DRAW_GRACE_SECONDS, 20)) {
        if (await runDraw(dropId)) drawn++;
      }
      for (const dropId of await repo.dropsWithFreeUnitsAndQueue(db, 50)) offered += await offerAll(dropId);
      return { drawn, offered };
    },

    async drawRecord(dropId: string, quantity: number): Promise<DrawRecord> {
      const draw = await drawOf(dropId);
      const drawn = draw.ranked_at !== null;
      const entries = draw.frozen_count === null ? [] : await repo.listDrawEntries(db, dropId);
      const stats = drawn ? await repo.queueStats(db, dropId) : undefined;
      return {
        dropId,
        units: quantity,
        status: drawn ? "drawn" : draw.closed ? "closed" : "open",
        commitment: draw.commitment,
        committedAt: new Date(draw.created_at),
        entriesCloseAt: new Date(draw.entries_close_at),
        publicValueSource: draw.public_value_source,
        publicValue: draw.public_value,
        seed: drawn ? draw.seed : null,
        drawnAt: draw.ranked_at && new Date(draw.ranked_at),
        formula: DRAW_FORMULA,
        entries: entries.map((e) => e.id).sort(),
        ranking: drawn ? entries.map((e) => e.id) : [],
        offered: stats?.offered ?? 0,
      };
    },

    /**
     * The seller publishes the public value they named, once the entry list is frozen: DRAW_GRACE_SECONDS
     * after the close (freezing it here if the tick has not yet), so the value never meets an open list.
     */
    async setPublicValue(dropId: string, value: string): Promise<void> {
      const draw = await drawOf(dropId);
      if (!draw.public_value_source)
        throw new InvalidInput([{ path: "value", message: "this draw names no public value" }]);
      if (draw.frozen_count === null) await retry(() => repo.freezeDraw(db, dropId, DRAW_GRACE_SECONDS));
      if (!(await retry(() => repo.setPublicValue(db, dropId, value)))) {
        throw new DrawState(
          draw.public_value === null
            ? `The public value can be given once the entry list is frozen, ${DRAW_GRACE_SECONDS} seconds after entries close.`
            : "The public value is already published.",
        );
      }
    },

    /** After the ranking ran out, the seller opens the leftover units first-come. */
    async openLeftovers(dropId: string): Promise<void> {
      if (!(await retry(() => repo.openDrawLeftovers(db, dropId)))) {
        throw new DrawState("Leftovers open only once the draw ran and no entry is still waiting.");
      }
    },

    /**
     * Claims a waitlist offer on an instant drop (docs/draws.md "Claiming an offer"): the held offer becomes
     * the fan's placed order. Claiming again answers the same order; after the offer lapsed or was passed on,
     * 409 hold_expired (never a second unit); a hold drop's offer is paid, not claimed (409 order_state).
     */
    async claimOffer(order: repo.CheckoutOrder): Promise<repo.CheckoutOrder> {
      if (order.status === "placed") return order;
      if (order.status === "held" && (await retry(() => repo.claimOffer(db, order.id)))) {
        return (await repo.findCheckoutOrder(db, order.id)) ?? order;
      }
      const now = (await repo.findCheckoutOrder(db, order.id)) ?? order;
      if (now.status === "placed") return now;
      if (now.status === "held" || now.status === "paid") {
        throw new OrderStateConflict(now.status, "This drop takes payment: pay for the held unit instead.");
      }
      throw new HoldExpired();
    },

    findDraw,
    stats: (dropId: string) => repo.queueStats(db, dropId),
  };
}

export type Fairness = ReturnType<typeof createFairness>;
