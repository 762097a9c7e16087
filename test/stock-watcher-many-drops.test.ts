import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Database } from "../src/db/database";
import type { Drop } from "../src/domain/types";
import * as repo from "../src/repository";
import { createStockWatcher, type StockWatcherOptions } from "../src/web/fan/stock-watcher";
import { isAvailable, openTestDatabase, type TestBackend } from "./support/databases";
import { hoodieDrop } from "./support/shop-fixtures";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Issue 15 §2: each watched drop polled its stock on its own (one statement per drop every 400 ms), so 5,000
 * upcoming drops with one live counter each pushed /healthz p50 from 2 ms to 1.4 s. The watcher reads every
 * watched drop in one statement per tick: counted here in statements, not timed (bench/watched-drops.ts
 * measures /healthz).
 */
describe.each<TestBackend>(["pglite", "postgres-read-committed"])(
  "live counters on many drops on %s",
  (backend) => {
    let db: Database;
    let drops: Drop[];
    /** Drops of three sizes, watched with the others: their per-size stock comes in the same statement. */
    let sized: Drop[];
    let app: ReturnType<typeof createApp>;
    const it_ = isAvailable(backend) ? it : it.skip;

    beforeAll(async () => {
      if (!isAvailable(backend)) return;
      db = await openTestDatabase(backend);
      app = createApp({ db, logError: () => undefined });
      const { seller } = await app.shop.createSeller({
        email: "many@example.com",
        name: "Many",
        password: "a long password",
      });
      drops = [];
      for (let i = 0; i < 150; i++) {
        drops.push(
          await app.shop.createDrop(seller, hoodieDrop({ title: `Drop ${i}`, quantity: 1 + (i % 7) })),
        );
      }
      sized = [];
      for (let i = 0; i < 10; i++) {
        const variants = [
          { name: "S", quantity: 1 },
          { name: "M", quantity: 2 + i },
          { name: "L", quantity: 3 },
        ];
        sized.push(
          await app.shop.createDrop(
            seller,
            hoodieDrop({ title: `Sized ${i}`, quantity: undefined, variants }),
          ),
        );
      }
    });
    afterAll(async () => db?.close());

    /** The statements sent to the database and the reads (ticks) the watcher made. */
    function counted(
      read: (db: Database, ids: readonly string[]) => ReturnType<StockWatcherOptions["read"]>,
    ) {
      const tally = { statements: 0, ticks: 0 };
      const counting = new Proxy(db, {
        get(target, key, receiver) {
          if (key !== "query") return Reflect.get(target, key, receiver);
          return (...args: Parameters<Database["query"]>) => {
            tally.statements++;
            return target.query(...args);
          };
        },
      });
      const watcher = createStockWatcher({
        read: (ids) => {
          tally.ticks++;
          return read(counting, ids);
        },
        intervalMs: 10,
      });
      return { tally, watcher };
    }

    /** Watches `watched` drops for a few ticks; the statements each tick cost. */
    async function statementsPerTick(
      watched: Drop[],
      read: (db: Database, ids: readonly string[]) => ReturnType<StockWatcherOptions["read"]>,
    ) {
      const { tally, watcher } = counted(read);
      const subs = watched.map((drop) => watcher.subscribe(drop));
      const first = await Promise.all(subs.map((sub) => sub.next()));
      // Every stream hears its own drop's stock.
      expect(first.map((update) => update?.remaining)).toEqual(watched.map((drop) => drop.quantity));
      while (tally.ticks < 4) await sleep(10);
      for (const sub of subs) sub.close();
      await sleep(30);
      expect(watcher.watching().size).toBe(0);
      return tally.statements / tally.ticks;
    }

    it_("one statement per tick, whether one drop or 150 are watched, sized drops among them", async () => {
      const one = await statementsPerTick(drops.slice(0, 1), repo.readStocks);
      const all = await statementsPerTick([...drops, ...sized], repo.readStocks);
      expect(one).toBe(1);
      expect(all).toBe(1);
    });

    it_(
      "readStocks gives a sized drop's units left per size (a size sold out reads 0), none on one size",
      async () => {
        const [drop] = sized;
        await app.shop.purchase(drop!.id, { fan: "small@example.com", variant: "S" });
        await app.shop.purchase(drop!.id, { fan: "medium@example.com", variant: "M" });
        const stocks = await repo.readStocks(db, [drop!.id, drops[0]!.id]);
        expect(stocks.get(drop!.id)).toMatchObject({ remaining: 4, sizes: [0, 1, 3] });
        expect(stocks.get(drops[0]!.id)).not.toHaveProperty("sizes");
      },
    );

    it_("control: reading each drop on its own costs a statement per drop per tick", async () => {
      const eachOnItsOwn = async (db: Database, ids: readonly string[]) =>
        new Map(await Promise.all(ids.map(async (id) => [id, await repo.readStock(db, id)] as const)));
      expect(await statementsPerTick(drops, eachOnItsOwn)).toBe(drops.length);
    });

    it_(
      "readStocks answers each drop asked for with its stock and switches, and leaves out unknown ids",
      async () => {
        const asked = drops.slice(0, 3);
        const stocks = await repo.readStocks(db, [...asked.map((d) => d.id), crypto.randomUUID()]);
        expect([...stocks.keys()].sort()).toEqual(asked.map((d) => d.id).sort());
        for (const drop of asked) {
          expect(stocks.get(drop.id)).toMatchObject({
            remaining: drop.quantity,
            paused: false,
            cancelled: false,
          });
        }
        expect(await repo.readStocks(db, [])).toEqual(new Map());
      },
    );
  },
);
