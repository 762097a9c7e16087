import { describe, expect, it } from "vitest";
import { PurchaseBatcher } from "../src/domain/purchase/purchase-batcher";
import type { BatchMember, PurchaseBatch, PurchaseOutcome } from "../src/repository";

/**
 * Issue 21 §3: what the batcher's own suite (purchase-batcher.test.ts) let through under mutation testing.
 * The batcher over a database the test answers by hand, as there.
 */
const member = (fan: string): BatchMember => ({
  fan,
  fanShown: fan,
  idempotencyKey: `key-${fan}`,
  fingerprint: fan,
  attemptNumber: 1,
});

/** Statements wait until released; `answer` says what each returns (undefined: the drop is gone). */
function heldDatabase(answer: (batch: PurchaseBatch) => PurchaseOutcome[] | undefined | Error) {
  const batches: PurchaseBatch[] = [];
  const releases: (() => void)[] = [];
  const run = (batch: PurchaseBatch) =>
    new Promise<PurchaseOutcome[] | undefined>((resolve, reject) => {
      batches.push(batch);
      releases.push(() => {
        const result = answer(batch);
        if (result instanceof Error) reject(result);
        else resolve(result);
      });
    });
  const releaseAll = async () => {
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  /** Answers the oldest statement in flight only. */
  const releaseFirst = async () => {
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { run, batches, releaseAll, releaseFirst };
}

const outcome = (fan: string) => ({ placed: { fan } }) as unknown as PurchaseOutcome;

describe("the batcher's limits and accounts", () => {
  it("a batch never takes more than maxBatch buyers, and the counts of statements and buyers add up", async () => {
    const db = heldDatabase((batch) => batch.members.map((m) => outcome(m.fan)));
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 2, maxInFlight: 1, maxWaitMs: 60_000 });
    expect(batcher.sent).toEqual({ statements: 0, members: 0 });
    const all = ["a", "b", "c", "d", "e"].map((fan) => batcher.submit("drop", member(fan)));
    await db.releaseAll();
    const answers = await Promise.all(all);
    expect(answers.map((a) => (a as unknown as { placed: { fan: string } }).placed.fan)).toEqual([
      "a",
      "b",
      "c",
      "d",
      "e",
    ]);
    expect(db.batches.map((b) => b.members.map((m) => m.fan))).toEqual([["a"], ["b", "c"], ["d", "e"]]);
    expect(batcher.sent).toEqual({ statements: 3, members: 5 });
  });

  it("a drop gone from the database answers every buyer 'no such drop' (undefined), batched or served singly", async () => {
    const violation = Object.assign(new Error("duplicate key"), {
      code: "23505",
      constraint: "orders_fan_slot_key",
    });
    // The batch of two hits a unique violation; served singly, the drop has gone meanwhile.
    const db = heldDatabase((batch) => (batch.members.length > 1 ? violation : undefined));
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 64, maxInFlight: 1, maxWaitMs: 60_000 });
    const all = ["a", "b", "c"].map((fan) => batcher.submit("drop", member(fan)));
    await db.releaseAll();
    expect(await Promise.all(all)).toEqual([undefined, undefined, undefined]);
    expect(db.batches.map((b) => b.members.map((m) => m.fan))).toEqual([["a"], ["b", "c"], ["b"], ["c"]]);
  });

  it("a statement finishing while another is in flight keeps the drop's lanes: never more than maxInFlight", async () => {
    const db = heldDatabase((batch) => batch.members.map((m) => outcome(m.fan)));
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 1, maxInFlight: 2, maxWaitMs: 60_000 });
    const a = batcher.submit("drop", member("a"));
    const b = batcher.submit("drop", member("b"));
    expect(db.batches.map((x) => x.startBucket)).toEqual([0, 1]);
    // a's statement ends; b's is still in flight and nobody waits.
    const releases = db.releaseFirst();
    await releases;
    await a;
    expect(batcher.inFlight("drop")).toBe(1);
    const c = batcher.submit("drop", member("c"));
    const d = batcher.submit("drop", member("d"));
    // c takes the free lane 0; d waits for a lane, since b (lane 1) and c are in flight.
    expect(db.batches.map((x) => x.startBucket)).toEqual([0, 1, 0]);
    expect(batcher.inFlight("drop")).toBe(2);
    await db.releaseAll();
    await Promise.all([b, c, d]);
    expect(db.batches.map((x) => x.members[0]!.fan)).toEqual(["a", "b", "c", "d"]);
  });

  it("counts a size's statements in flight as that size's: inFlight names the size it is asked about", async () => {
    const db = heldDatabase((batch) => batch.members.map((m) => outcome(m.fan)));
    const batcher = new PurchaseBatcher(db.run, { maxBatch: 1, maxInFlight: 2, maxWaitMs: 60_000 });
    const sized = batcher.submit("drop", member("m"), { position: 2, priceCents: null });
    expect(batcher.inFlight("drop", 2)).toBe(1);
    expect(batcher.inFlight("drop")).toBe(0);
    expect(batcher.inFlight("drop", 1)).toBe(0);
    await db.releaseAll();
    await sized;
    expect(batcher.inFlight("drop", 2)).toBe(0);
  });
});
