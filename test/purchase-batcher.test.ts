import { describe, expect, it } from "vitest";
import { Busy } from "../src/domain/errors";
import { PurchaseBatcher } from "../src/domain/purchase/purchase-batcher";
import type { BatchMember, PurchaseBatch, PurchaseOutcome } from "../src/repository";

/** The batcher alone, over a scripted database: who goes together, and what a failed batch does. */
const member = (fan: string, key = `key-${fan}`): BatchMember => ({
  fan,
  fanShown: fan,
  idempotencyKey: key,
  fingerprint: fan,
  attemptNumber: 1,
});

const outcomeFor = (batch: PurchaseBatch, i: number): PurchaseOutcome => ({
  isLive: true,
  isPaused: false,
  isCancelled: false,
  isHold: false,
  sizesChanged: false,
  startsAt: new Date(0),
  maxPerFan: 1,
  withinLimit: true,
  hadStock: true,
  existing: undefined,
  placed: {
    id: batch.members[i]!.idempotencyKey,
    dropId: batch.dropId,
    unitNo: i + 1,
    fan: batch.members[i]!.fan,
    priceCents: 1,
    attempts: 1,
    createdAt: new Date(0),
  },
});

/** A database that answers when told to, so a test can hold statements in flight. */
function heldDatabase(fail?: (batch: PurchaseBatch) => unknown) {
  const batches: PurchaseBatch[] = [];
  const releases: (() => void)[] = [];
  const run = (batch: PurchaseBatch) =>
    new Promise<PurchaseOutcome[]>((resolve, reject) => {
      batches.push(batch);
      releases.push(() => {
        const error = fail?.(batch);
        if (error) reject(error);
        else resolve(batch.members.map((_, i) => outcomeFor(batch, i)));
      });
    });
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { run, batches, releaseAll };
}

describe("PurchaseBatcher", () => {
  it("a lone buyer goes at once; those who arrive meanwhile go together in the next statement", async () => {
    const db = heldDatabase();
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 64, maxInFlight: 1, maxWaitMs: 60_000 });
    const first = batcher.submit("drop", member("a"));
    expect(db.batches.map((b) => b.members.length)).toEqual([1]);
    const rest = ["b", "c", "d"].map((fan) => batcher.submit("drop", member(fan)));
    expect(db.batches).toHaveLength(1); // waiting for the statement in flight
    await db.releaseAll();
    await Promise.all([first, ...rest]);
    expect(db.batches.map((b) => b.members.map((m) => m.fan))).toEqual([["a"], ["b", "c", "d"]]);
  });

  it("a drop's sizes share its statements in flight: five sizes send fuller batches, and each size gets its turn", async () => {
    const db = heldDatabase();
    // The most statements of the drop in flight at any moment, over all its sizes.
    let now = 0;
    let most = 0;
    const counted = (batch: PurchaseBatch) => {
      most = Math.max(most, ++now);
      return db.run(batch).finally(() => now--);
    };
    const batcher = new PurchaseBatcher(counted, { maxBatch: 64, maxInFlight: 2, maxWaitMs: 60_000 });
    const size = (position: number) => ({ position, priceCents: null });
    // Three buyers of each of five sizes arrive together: only two statements of the drop go at once (one a
    // size would be five), and the sizes left waiting each take a freed lane in turn, none starved.
    const all = [0, 1, 2, 3, 4].flatMap((position) =>
      ["x", "y", "z"].map((fan) => batcher.submit("drop", member(`${fan}${position}`), size(position))),
    );
    expect(db.batches).toHaveLength(2);
    await db.releaseAll();
    await Promise.all(all);
    expect(most).toBe(2);
    // Every size was served, all fifteen buyers, in fewer statements than one a buyer: each size waiting for
    // a lane took all its buyers at once.
    const served = [0, 1, 2, 3, 4].map((position) =>
      db.batches.filter((b) => b.variant === position).reduce((n, b) => n + b.members.length, 0),
    );
    expect(served).toEqual([3, 3, 3, 3, 3]);
    expect(db.batches.length).toBeLessThanOrEqual(7);
  });

  it("never puts one key or one fan twice in a batch, and caps the batch size", async () => {
    const db = heldDatabase();
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 3, maxInFlight: 1, maxWaitMs: 60_000 });
    const all = [
      batcher.submit("drop", member("x")),
      batcher.submit("drop", member("a", "k1")),
      batcher.submit("drop", member("b", "k1")),
      batcher.submit("drop", member("a", "k2")),
      batcher.submit("drop", member("c")),
      batcher.submit("drop", member("d")),
    ];
    await db.releaseAll();
    await Promise.all(all);
    expect(db.batches.map((b) => b.members.map((m) => `${m.fan}/${m.idempotencyKey}`))).toEqual([
      ["x/key-x"],
      ["a/k1", "c/key-c", "d/key-d"],
      ["b/k1", "a/k2"],
    ]);
  });

  it("lanes in flight start at distinct buckets with stock; a quiet drop always starts at the lowest", async () => {
    const db = heldDatabase();
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 1, maxInFlight: 3, maxWaitMs: 60_000 });
    const all = ["a", "b", "c", "d"].map((fan) => batcher.submit("drop", member(fan)));
    expect(db.batches.map((b) => b.startBucket)).toEqual([0, 1, 2]);
    await db.releaseAll();
    await Promise.all(all);
    expect(db.batches[3]!.startBucket).toBe(0);
    expect(batcher.inFlight("drop")).toBe(0);
  });

  it("a unique violation fails no innocent member: the batch is served again one by one", async () => {
    const violation = Object.assign(new Error("duplicate key"), {
      code: "23505",
      constraint: "orders_fan_slot_key",
    });
    const db = heldDatabase((batch) =>
      batch.members.some((m) => m.fan === "racer") ? violation : undefined,
    );
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 64, maxInFlight: 1, maxWaitMs: 60_000 });
    const first = batcher.submit("drop", member("first"));
    const racer = batcher.submit("drop", member("racer"));
    const innocent = batcher.submit("drop", member("innocent"));
    const settled = Promise.allSettled([first, racer, innocent]);
    await db.releaseAll();
    const [, racerResult, innocentResult] = await settled;
    expect(racerResult).toMatchObject({ status: "rejected", reason: violation });
    expect(innocentResult).toMatchObject({ status: "fulfilled", value: { placed: { fan: "innocent" } } });
    expect(db.batches.map((b) => b.members.map((m) => m.fan))).toEqual([
      ["first"],
      ["racer", "innocent"],
      ["racer"],
      ["innocent"],
    ]);
  });

  it("a conflict or a lost connection reaches every member, each to retry or look up its key", async () => {
    const conflict = Object.assign(new Error("could not serialize access"), { code: "40001" });
    const db = heldDatabase((batch) => (batch.members.length > 1 ? conflict : undefined));
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 64, maxInFlight: 1, maxWaitMs: 60_000 });
    const all = ["a", "b", "c"].map((fan) => batcher.submit("drop", member(fan)));
    const settled = Promise.allSettled(all);
    await db.releaseAll();
    expect((await settled).map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    expect(db.batches).toHaveLength(2);
  });

  it("a buyer who waited past the limit for a statement is answered busy, not queued forever", async () => {
    const db = heldDatabase();
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 64, maxInFlight: 1, maxWaitMs: 10 });
    const first = batcher.submit("drop", member("a"));
    const late = batcher.submit("drop", member("b")).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await db.releaseAll();
    await first;
    expect(await late).toBeInstanceOf(Busy);
    expect(db.batches).toHaveLength(1);
  });
});
