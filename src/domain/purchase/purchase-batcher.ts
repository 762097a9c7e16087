import { violatedConstraint } from "../../db/database";
import type { BatchMember, PurchaseBatch, PurchaseOutcome } from "../../repository";
import { Busy } from "../errors";

export interface BatcherOptions {
  /** Buyers per statement at most; 1 turns batching off (every purchase is its own statement). */
  maxBatch: number;
  /** Statements of one drop in flight at once at most (about the pool size: more would only queue). */
  maxInFlight: number;
  /** A buyer still waiting for a statement after this long is answered "busy" instead. */
  maxWaitMs: number;
}

type RunBatch = (batch: PurchaseBatch) => Promise<PurchaseOutcome[] | undefined>;

interface Waiting {
  member: BatchMember;
  enqueuedAt: number;
  resolve: (outcome: PurchaseOutcome | undefined) => void;
  reject: (error: unknown) => void;
}

interface DropQueue {
  waiting: Waiting[];
  /** Lanes with a statement in flight; lane l starts its search at the l-th bucket with stock. */
  busyLanes: Set<number>;
}

/**
 * Group commit for hot drops. Purchases of one drop that arrive while statements for it are in flight
 * wait, and the next statement to leave takes all of them (up to `maxBatch`) into one transaction. No
 * timer: a lone buyer goes at once, and under load each statement takes whoever is waiting when it leaves.
 *
 * Each in-flight statement has a lane, and lane l starts at the l-th bucket that still has stock: a quiet
 * drop (one lane) sells its units lowest-first, #1, #2, #3 ..., while a stampede spreads over as many
 * buckets as it has lanes.
 *
 * A batch never holds two entries with the same idempotency key or the same fan: the later one waits for
 * a later statement, so it gets the answer it would get one after the other (the first one's order, or
 * the fan's next slot or the limit). If a batch hits a unique constraint anyway (a race with another
 * statement), its members are served again one by one, so an innocent member never gets another's error.
 * @example const batcher = new PurchaseBatcher((batch) => repo.purchaseBatch(db, "cte", batch), options);
 */
export class PurchaseBatcher {
  readonly #drops = new Map<string, DropQueue>();
  /** Statements sent and the member-attempts they carried, since start (their ratio is the batch size). */
  readonly sent = { statements: 0, members: 0 };

  constructor(
    private readonly run: RunBatch,
    private readonly options: BatcherOptions,
  ) {}

  /** Buys for `member` in the next statement for this drop; the outcome is the database's for it alone. */
  submit(dropId: string, member: BatchMember): Promise<PurchaseOutcome | undefined> {
    let queue = this.#drops.get(dropId);
    if (!queue) {
      queue = { waiting: [], busyLanes: new Set() };
      this.#drops.set(dropId, queue);
    }
    const entered = queue;
    return new Promise((resolve, reject) => {
      entered.waiting.push({ member, enqueuedAt: performance.now(), resolve, reject });
      this.#launch(dropId, entered);
    });
  }

  /** Statements of this drop in flight now (for tests and metrics). */
  inFlight(dropId: string): number {
    return this.#drops.get(dropId)?.busyLanes.size ?? 0;
  }

  #launch(dropId: string, queue: DropQueue): void {
    while (queue.waiting.length > 0 && queue.busyLanes.size < this.options.maxInFlight) {
      const members = this.#take(queue);
      if (members.length === 0) break;
      let lane = 0;
      while (queue.busyLanes.has(lane)) lane++;
      queue.busyLanes.add(lane);
      const batch = { dropId, startBucket: lane, members: members.map((w) => w.member) };
      void this.#send(batch, members).finally(() => {
        queue.busyLanes.delete(lane);
        if (queue.busyLanes.size === 0 && queue.waiting.length === 0) this.#drops.delete(dropId);
        else this.#launch(dropId, queue);
      });
    }
  }

  /** The next batch: waiting buyers in arrival order, skipping a key or fan already in it. */
  #take(queue: DropQueue): Waiting[] {
    const taken: Waiting[] = [];
    const left: Waiting[] = [];
    const keys = new Set<string>();
    const fans = new Set<string>();
    const now = performance.now();
    for (const waiting of queue.waiting) {
      const { idempotencyKey, fan } = waiting.member;
      if (now - waiting.enqueuedAt > this.options.maxWaitMs) waiting.reject(new Busy());
      else if (taken.length >= this.options.maxBatch || keys.has(idempotencyKey) || fans.has(fan))
        left.push(waiting);
      else {
        taken.push(waiting);
        keys.add(idempotencyKey);
        fans.add(fan);
      }
    }
    queue.waiting = left;
    return taken;
  }

  async #send(batch: PurchaseBatch, members: Waiting[]): Promise<void> {
    this.sent.statements++;
    this.sent.members += members.length;
    try {
      const outcomes = await this.run(batch);
      for (const [i, waiting] of members.entries()) waiting.resolve(outcomes?.[i]);
    } catch (error) {
      if (members.length === 1 || violatedConstraint(error) === undefined) {
        // A conflict or a lost connection concerns every member alike: each retries or looks up its key.
        for (const waiting of members) waiting.reject(error);
        return;
      }
      // One member's unique violation must not fail the rest: nothing was written, so serve them singly.
      for (const waiting of members) {
        await this.run({ ...batch, members: [waiting.member] }).then(
          (outcomes) => waiting.resolve(outcomes?.[0]),
          waiting.reject,
        );
      }
    }
  }
}
