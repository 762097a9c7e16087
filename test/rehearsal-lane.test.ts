import { describe, expect, test } from "vitest";
import { ConnectionUnavailable } from "../src/db/database";
import { inRehearsalLane, isRehearsalWork, RehearsalShare } from "../src/db/rehearsal-lane";
import { SerialQueue } from "../src/db/serial-queue";
import {
  isRehearsalMarker,
  REHEARSAL_HEADER,
  rehearsalHeaders,
} from "../src/domain/stress-test/rehearsal-marker";

/** A task that records its start and finishes when the returned release is called. */
function gated(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    task: async () => {
      log.push(name);
      await done;
      return name;
    },
    release: () => release(),
  };
}

describe("the serial queue's two lanes", () => {
  test("live statements overtake every waiting rehearsal statement", async () => {
    const queue = new SerialQueue(60_000);
    const log: string[] = [];
    const first = gated(log, "rehearsal-1");
    const results = [
      inRehearsalLane(() => queue.run(first.task)),
      inRehearsalLane(() => queue.run(async () => log.push("rehearsal-2"))),
      inRehearsalLane(() => queue.run(async () => log.push("rehearsal-3"))),
      queue.run(async () => log.push("live-1")),
      queue.run(async () => log.push("live-2")),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(["rehearsal-1"]); // one statement at a time: the running one is never preempted
    first.release();
    await Promise.all(results);
    expect(log).toEqual(["rehearsal-1", "live-1", "live-2", "rehearsal-2", "rehearsal-3"]);
  });

  test("control: without the lane the same tasks run in arrival order", async () => {
    const queue = new SerialQueue(60_000);
    const log: string[] = [];
    const first = gated(log, "a-1");
    const results = [
      queue.run(first.task),
      queue.run(async () => log.push("a-2")),
      queue.run(async () => log.push("a-3")),
      queue.run(async () => log.push("live-1")),
    ];
    first.release();
    await Promise.all(results);
    expect(log).toEqual(["a-1", "a-2", "a-3", "live-1"]);
  });

  test("a statement that waited past the acquire timeout is refused as unavailable, and the queue goes on", async () => {
    const queue = new SerialQueue(2);
    const log: string[] = [];
    const first = gated(log, "slow");
    const slow = queue.run(first.task);
    const late = inRehearsalLane(() => queue.run(async () => log.push("late"))).catch((error) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.release();
    await slow;
    expect(await late).toBeInstanceOf(ConnectionUnavailable);
    expect(log).toEqual(["slow"]);
    expect(await queue.run(async () => "after")).toBe("after");
  });

  test("failures reach their caller and do not stop the queue", async () => {
    const queue = new SerialQueue(60_000);
    await expect(queue.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await inRehearsalLane(() => queue.run(async () => isRehearsalWork()))).toBe(true);
  });
});

describe("the rehearsal share of a pool", () => {
  test("never runs more rehearsal statements at once than its slots", async () => {
    const share = new RehearsalShare(2, 60_000);
    let running = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        share.run(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 1));
          running--;
        }),
      ),
    );
    expect(most).toBe(2);
  });

  test("a statement that cannot get a slot in time is answered unavailable (busy), never left waiting", async () => {
    const share = new RehearsalShare(1, 10);
    let release!: () => void;
    const holding = share.run(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(share.run(async () => "never")).rejects.toBeInstanceOf(ConnectionUnavailable);
    release();
    await holding;
    expect(await share.run(async () => "free again")).toBe("free again");
  });
});

describe("the rehearsal marker", () => {
  test("only this process's own secret marks a request", () => {
    const header = rehearsalHeaders()[REHEARSAL_HEADER]!;
    expect(header.length).toBeGreaterThanOrEqual(32);
    expect(isRehearsalMarker(header)).toBe(true);
    expect(isRehearsalMarker(undefined)).toBe(false);
    expect(isRehearsalMarker("")).toBe(false);
    // One character changed (never to the one it already is: the secret is random).
    const other = header.endsWith("x") ? "y" : "x";
    expect(isRehearsalMarker(`${header.slice(0, -1)}${other}`)).toBe(false);
    expect(isRehearsalMarker(`${header}x`)).toBe(false);
  });
});
