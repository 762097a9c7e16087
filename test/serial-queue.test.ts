import { expect, it } from "vitest";
import { ConnectionUnavailable } from "../src/db/database";
import { SerialQueue } from "../src/db/serial-queue";

it("reports the embedded connection busy while a statement runs, the queue behind it, and timeouts", async () => {
  const queue = new SerialQueue(50);
  let finish: () => void = () => undefined;
  const first = queue.run(() => new Promise<void>((resolve) => (finish = resolve)));
  const second = queue.run(async () => "second");
  await Promise.resolve();
  expect({ busy: queue.busy, waiting: queue.waiting }).toEqual({ busy: true, waiting: 1 });
  await new Promise((resolve) => setTimeout(resolve, 80));
  finish();
  await first;
  await expect(second).rejects.toBeInstanceOf(ConnectionUnavailable);
  expect({ busy: queue.busy, waiting: queue.waiting, timeouts: queue.timeouts }).toEqual({
    busy: false,
    waiting: 0,
    timeouts: 1,
  });
  expect(await queue.run(async () => "third")).toBe("third");
  expect(queue.busy).toBe(false);
});
