import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { RetryPolicy } from "../src/domain/purchase/retry";
import { PURCHASE_SUITES, race, tally } from "./support/contention";
import { isAvailable, openTestDatabase } from "./support/databases";
import { audit, buy, createDrop, createSeller } from "./support/shop-fixtures";

/**
 * Issue 21 §2: a wrong "sold out" while stock remains is invisible to a stampede where demand far exceeds
 * supply (someone else takes the unit). Here supply equals demand: every buyer must win, so a single
 * premature "sold out" (or "limit reached", or a unit left unsold) fails the test. The deterministic form
 * of the same race (a buyer whose bucket emptied meanwhile) is in teeth-interleave.test.ts.
 * The retry budget is wide so that contention on a loaded machine is retried, not answered "busy".
 */
const patient: RetryPolicy = { maxAttempts: 1000, deadlineMs: 240_000, baseDelayMs: 2, maxDelayMs: 50 };
const N = 150;

describe.each(PURCHASE_SUITES)("supply equals demand on %s, %s form", (backend, form) => {
  let db: Database;
  let app: ReturnType<typeof createApp>;
  let apiKey: string;

  beforeAll(async () => {
    if (!isAvailable(backend)) return;
    db = await openTestDatabase(backend);
    app = createApp({ db, retryPolicy: patient, engine: { form }, logError: (e) => console.error(e) });
    ({ apiKey } = await createSeller(app));
  });
  afterAll(async () => db?.close());

  const it_ = isAvailable(backend) ? it : it.skip;

  it_(`${N} buyers at once for ${N} units: every one wins, units 1..${N} once each`, async () => {
    const drop = await createDrop(app, apiKey, { quantity: N });
    const answers = await race(N, (i) => buy(app, drop.id, `fan-${i}@supply.test`, randomUUID()));
    expect(tally(answers)).toEqual({ "201 order": N });
    const units = answers.map((a) => a.body.order!.unitNo).sort((a, b) => a - b);
    expect(units).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect((await audit(app, drop.id, apiKey)).body).toMatchObject({ sold: N, remaining: 0, oversold: 0 });
  });
});
