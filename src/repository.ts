/**
 * Every statement the app sends to the database. One function per query, the database as first argument,
 * parameters as $n with explicit casts. The same SQL runs on PGlite, PostgreSQL and Aurora DSQL.
 */
import type { Database } from "./db/database";
import type { Bucket } from "./domain/stock-plan";
import type { Audit, Drop, DropTerms, Order, Seller } from "./domain/types";

const DROP_COLUMNS = `id, seller_id, slug, title, description, price_cents, currency, quantity, starts_at,
  max_per_fan, bucket_count, is_rehearsal, created_at`;

interface DropRow {
  id: string;
  seller_id: string;
  slug: string;
  title: string;
  description: string;
  price_cents: number;
  currency: string;
  quantity: number;
  starts_at: Date;
  max_per_fan: number;
  bucket_count: number;
  is_rehearsal: boolean;
  created_at: Date;
}

const toDrop = (row: DropRow): Drop => ({
  id: row.id,
  sellerId: row.seller_id,
  slug: row.slug,
  title: row.title,
  description: row.description,
  priceCents: row.price_cents,
  currency: row.currency,
  quantity: row.quantity,
  startsAt: new Date(row.starts_at),
  maxPerFan: row.max_per_fan,
  bucketCount: row.bucket_count,
  isRehearsal: row.is_rehearsal,
  createdAt: new Date(row.created_at),
});

interface OrderRow {
  id: string;
  drop_id: string;
  unit_no: number;
  fan: string;
  price_cents: number;
  attempts: number;
  created_at: Date;
}

const ORDER_COLUMNS = "id, drop_id, unit_no, fan, price_cents, attempts, created_at";

const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  dropId: row.drop_id,
  unitNo: row.unit_no,
  fan: row.fan,
  priceCents: row.price_cents,
  attempts: row.attempts,
  createdAt: new Date(row.created_at),
});

interface SellerRow {
  id: string;
  email: string;
  name: string;
  created_at: Date;
}

const toSeller = (row: SellerRow): Seller => ({
  id: row.id,
  email: row.email,
  name: row.name,
  createdAt: new Date(row.created_at),
});

// ---------------------------------------------------------------- sellers

export async function insertSeller(
  db: Database,
  input: { email: string; name: string; passwordHash: string; apiKeyHash: string },
): Promise<Seller> {
  const { rows } = await db.query<SellerRow>(
    `INSERT INTO sellers (email, name, password_hash, api_key_hash)
     VALUES ($1::text, $2::text, $3::text, $4::text)
     RETURNING id, email, name, created_at`,
    [input.email, input.name, input.passwordHash, input.apiKeyHash],
  );
  return toSeller(rows[0]!);
}

export async function findSellerByApiKeyHash(db: Database, apiKeyHash: string): Promise<Seller | undefined> {
  const { rows } = await db.query<SellerRow>(
    "SELECT id, email, name, created_at FROM sellers WHERE api_key_hash = $1::text",
    [apiKeyHash],
  );
  return rows[0] && toSeller(rows[0]);
}

export async function findSellerCredentials(
  db: Database,
  email: string,
): Promise<{ seller: Seller; passwordHash: string } | undefined> {
  const { rows } = await db.query<SellerRow & { password_hash: string }>(
    "SELECT id, email, name, created_at, password_hash FROM sellers WHERE email = $1::text",
    [email],
  );
  const row = rows[0];
  return row && { seller: toSeller(row), passwordHash: row.password_hash };
}

export async function updateSellerApiKey(db: Database, sellerId: string, apiKeyHash: string): Promise<void> {
  await db.query("UPDATE sellers SET api_key_hash = $2::text WHERE id = $1::uuid", [sellerId, apiKeyHash]);
}

// ---------------------------------------------------------------- drops

export interface NewDrop extends DropTerms {
  sellerId: string;
  slug: string;
  isRehearsal?: boolean;
  rehearsalOf?: string | null;
}

/** Writes the drop and all its stock buckets in one statement, so a drop never exists without its stock. */
export async function insertDropWithStock(db: Database, drop: NewDrop, buckets: Bucket[]): Promise<Drop> {
  const { rows } = await db.query<DropRow>(
    `WITH new_drop AS (
       INSERT INTO drops (seller_id, slug, title, description, price_cents, currency, quantity, starts_at,
                          max_per_fan, bucket_count, is_rehearsal, rehearsal_of)
       VALUES ($1::uuid, $2::text, $3::text, $4::text, $5::int, $6::text, $7::int, $8::timestamptz,
               $9::int, $10::int, $11::boolean, $12::uuid)
       RETURNING ${DROP_COLUMNS}
     ), new_stock AS (
       INSERT INTO stock_buckets (drop_id, bucket, first_unit, size, remaining)
       SELECT new_drop.id, plan.bucket, plan.first_unit, plan.size, plan.size
       FROM new_drop, unnest($13::int[], $14::int[], $15::int[]) AS plan(bucket, first_unit, size)
       RETURNING bucket
     )
     SELECT ${DROP_COLUMNS} FROM new_drop WHERE (SELECT count(*) FROM new_stock) = $10::int`,
    [
      drop.sellerId,
      drop.slug,
      drop.title,
      drop.description,
      drop.priceCents,
      drop.currency,
      drop.quantity,
      drop.startsAt.toISOString(),
      drop.maxPerFan,
      buckets.length,
      drop.isRehearsal ?? false,
      drop.rehearsalOf ?? null,
      buckets.map((b) => b.bucket),
      buckets.map((b) => b.firstUnit),
      buckets.map((b) => b.size),
    ],
  );
  return toDrop(rows[0]!);
}

export async function findDropById(db: Database, id: string): Promise<Drop | undefined> {
  const { rows } = await db.query<DropRow>(`SELECT ${DROP_COLUMNS} FROM drops WHERE id = $1::uuid`, [id]);
  return rows[0] && toDrop(rows[0]);
}

export async function findDropBySlug(db: Database, slug: string): Promise<Drop | undefined> {
  const { rows } = await db.query<DropRow>(`SELECT ${DROP_COLUMNS} FROM drops WHERE slug = $1::text`, [slug]);
  return rows[0] && toDrop(rows[0]);
}

/** Units left and the database clock, which is the clock go-live is judged by. */
export async function readStock(
  db: Database,
  dropId: string,
): Promise<{ remaining: number; serverTime: Date }> {
  const { rows } = await db.query<{ remaining: number; server_time: Date }>(
    `SELECT coalesce(sum(remaining), 0)::int AS remaining, now() AS server_time
     FROM stock_buckets WHERE drop_id = $1::uuid`,
    [dropId],
    { name: "read_stock" },
  );
  return { remaining: rows[0]!.remaining, serverTime: new Date(rows[0]!.server_time) };
}

// ---------------------------------------------------------------- the purchase

export interface PurchaseAttempt {
  dropId: string;
  fan: string;
  idempotencyKey: string;
  /** The bucket the search for stock starts at, so concurrent buyers spread over the rows. */
  startBucket: number;
  attemptNumber: number;
}

export interface PurchaseOutcome {
  isLive: boolean;
  startsAt: Date;
  maxPerFan: number;
  withinLimit: boolean;
  /** The statement's snapshot showed at least one bucket with stock. */
  hadStock: boolean;
  /** The order this key already bought (a replay), if any. */
  existing: Order | undefined;
  /** The order this statement placed, if any. */
  placed: Order | undefined;
}

/**
 * The purchase, in one statement and so in one transaction: find a non-empty bucket, decrement it only if
 * the drop is live on the database clock, stock remains and the fan is within the limit, and insert the
 * order with the unit number the decremented row yields. Returns one row describing what happened, or no
 * row when the drop does not exist.
 */
export async function attemptPurchase(
  db: Database,
  a: PurchaseAttempt,
): Promise<PurchaseOutcome | undefined> {
  const { rows } = await db.query<
    {
      is_live: boolean;
      starts_at: Date;
      max_per_fan: number;
      within_limit: boolean;
      had_stock: boolean;
      is_new: boolean;
      drop_id: string;
    } & { [K in keyof OrderRow]: OrderRow[K] | null }
  >(
    `WITH the_drop AS (
       SELECT id, price_cents, max_per_fan, starts_at, starts_at <= now() AS is_live
       FROM drops WHERE id = $1::uuid
     ), existing AS (
       SELECT ${ORDER_COLUMNS} FROM orders WHERE drop_id = $1::uuid AND idempotency_key = $3::text
     ), fan_slot AS (
       SELECT count(*)::int + 1 AS slot FROM orders WHERE drop_id = $1::uuid AND fan = $2::text
     ), chosen AS (
       SELECT bucket FROM stock_buckets
       WHERE drop_id = $1::uuid AND remaining > 0
       ORDER BY bucket >= $4::int DESC, bucket
       LIMIT 1
     ), claimed AS (
       UPDATE stock_buckets AS b SET remaining = b.remaining - 1
       FROM the_drop, fan_slot, chosen
       WHERE b.drop_id = $1::uuid AND b.bucket = chosen.bucket AND b.remaining > 0
         AND the_drop.is_live AND fan_slot.slot <= the_drop.max_per_fan
         AND NOT EXISTS (SELECT 1 FROM existing)
       RETURNING b.first_unit + b.size - 1 - b.remaining AS unit_no
     ), placed AS (
       INSERT INTO orders (drop_id, unit_no, fan, fan_slot, price_cents, attempts, idempotency_key)
       SELECT $1::uuid, claimed.unit_no, $2::text, fan_slot.slot, the_drop.price_cents, $5::int, $3::text
       FROM claimed, fan_slot, the_drop
       RETURNING ${ORDER_COLUMNS}
     )
     SELECT the_drop.is_live, the_drop.starts_at, the_drop.max_per_fan,
            fan_slot.slot <= the_drop.max_per_fan AS within_limit,
            EXISTS (SELECT 1 FROM chosen) AS had_stock,
            the_drop.id AS drop_id, coalesce(p.id, e.id) AS id, coalesce(p.unit_no, e.unit_no) AS unit_no, coalesce(p.fan, e.fan) AS fan,
            coalesce(p.price_cents, e.price_cents) AS price_cents, coalesce(p.attempts, e.attempts) AS attempts,
            coalesce(p.created_at, e.created_at) AS created_at, p.id IS NOT NULL AS is_new
     FROM the_drop CROSS JOIN fan_slot LEFT JOIN placed p ON true LEFT JOIN existing e ON true`,
    [a.dropId, a.fan, a.idempotencyKey, a.startBucket, a.attemptNumber],
    { name: "attempt_purchase" },
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    isLive: row.is_live,
    startsAt: new Date(row.starts_at),
    maxPerFan: row.max_per_fan,
    withinLimit: row.within_limit,
    hadStock: row.had_stock,
    existing: row.id !== null && !row.is_new ? toOrder(row as OrderRow) : undefined,
    placed: row.id !== null && row.is_new ? toOrder(row as OrderRow) : undefined,
  };
}

export async function findOrderByKey(
  db: Database,
  dropId: string,
  idempotencyKey: string,
): Promise<Order | undefined> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE drop_id = $1::uuid AND idempotency_key = $2::text`,
    [dropId, idempotencyKey],
    { name: "find_order_by_key" },
  );
  return rows[0] && toOrder(rows[0]);
}

/** A page of a drop's idempotency keys in ascending order, after `afterKey` (keyset on the unique index). */
export async function listOrderKeys(
  db: Database,
  dropId: string,
  limit: number,
  afterKey?: string,
): Promise<string[]> {
  const { rows } = await db.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM orders
     WHERE drop_id = $1::uuid AND ($2::text IS NULL OR idempotency_key > $2::text)
     ORDER BY idempotency_key
     LIMIT $3::int`,
    [dropId, afterKey ?? null, limit],
  );
  return rows.map((row) => row.idempotency_key);
}

// ---------------------------------------------------------------- audit

/** The drop's books, counted from the tables themselves rather than from anything the app remembers. */
export async function auditDrop(db: Database, dropId: string): Promise<Audit | undefined> {
  const { rows } = await db.query<{
    quantity: number;
    sold: number;
    remaining: number;
    duplicate_units: number;
    units_out_of_range: number;
  }>(
    `SELECT d.quantity,
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = d.id) AS sold,
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = d.id) AS remaining,
            (SELECT count(*)::int FROM (
               SELECT o.unit_no FROM orders o WHERE o.drop_id = d.id GROUP BY o.unit_no HAVING count(*) > 1
             ) AS dup) AS duplicate_units,
            (SELECT count(*)::int FROM orders o
              WHERE o.drop_id = d.id AND (o.unit_no < 1 OR o.unit_no > d.quantity)) AS units_out_of_range
     FROM drops d WHERE d.id = $1::uuid`,
    [dropId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    quantity: row.quantity,
    sold: row.sold,
    remaining: row.remaining,
    oversold: Math.max(0, row.sold - row.quantity),
    duplicateUnits: row.duplicate_units,
    unitsOutOfRange: row.units_out_of_range,
  };
}

/**
 * One page of a drop's orders, newest first, after the order `afterOrderId` (keyset paging on
 * (created_at, id); the cursor is an order id so the database's microsecond timestamps are compared exactly).
 */
export async function listOrders(
  db: Database,
  dropId: string,
  limit: number,
  afterOrderId?: string,
): Promise<Order[]> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders
     WHERE drop_id = $1::uuid
       AND ($2::uuid IS NULL
            OR (created_at, id) < (SELECT c.created_at, c.id FROM orders c WHERE c.id = $2::uuid AND c.drop_id = $1::uuid))
     ORDER BY created_at DESC, id DESC
     LIMIT $3::int`,
    [dropId, afterOrderId ?? null, limit],
  );
  return rows.map(toOrder);
}

// ---- seller sessions & dashboard

export async function insertSellerSession(
  db: Database,
  session: { tokenHash: string; sellerId: string; ttlSeconds: number },
): Promise<void> {
  await db.query(
    `INSERT INTO seller_sessions (token_hash, seller_id, expires_at)
     VALUES ($1::text, $2::uuid, now() + $3::int * interval '1 second')`,
    [session.tokenHash, session.sellerId, session.ttlSeconds],
  );
}

/** The seller a live session belongs to; expired sessions find nobody. */
export async function findSessionSeller(db: Database, tokenHash: string): Promise<Seller | undefined> {
  const { rows } = await db.query<SellerRow>(
    `SELECT s.id, s.email, s.name, s.created_at
     FROM seller_sessions ss JOIN sellers s ON s.id = ss.seller_id
     WHERE ss.token_hash = $1::text AND ss.expires_at > now()`,
    [tokenHash],
  );
  return rows[0] && toSeller(rows[0]);
}

export async function deleteSellerSession(db: Database, tokenHash: string): Promise<void> {
  await db.query("DELETE FROM seller_sessions WHERE token_hash = $1::text", [tokenHash]);
}

export async function deleteExpiredSellerSessions(db: Database, sellerId: string): Promise<void> {
  await db.query("DELETE FROM seller_sessions WHERE seller_id = $1::uuid AND expires_at <= now()", [
    sellerId,
  ]);
}

export interface DropSales {
  drop: Drop;
  sold: number;
  remaining: number;
  revenueCents: number;
  serverTime: Date;
}

/** A seller's real drops (rehearsals left out), newest first, each with what it has sold so far. */
export async function listSellerDropSales(
  db: Database,
  sellerId: string,
  limit: number,
): Promise<DropSales[]> {
  const { rows } = await db.query<
    DropRow & { sold: number; remaining: number; revenue_cents: string; server_time: Date }
  >(
    `SELECT ${DROP_COLUMNS},
            (SELECT count(*)::int FROM orders o WHERE o.drop_id = d.id) AS sold,
            (SELECT coalesce(sum(o.price_cents), 0)::text FROM orders o WHERE o.drop_id = d.id) AS revenue_cents,
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = d.id) AS remaining,
            now() AS server_time
     FROM drops d
     WHERE d.seller_id = $1::uuid AND NOT d.is_rehearsal
     ORDER BY d.created_at DESC, d.id DESC
     LIMIT $2::int`,
    [sellerId, limit],
  );
  return rows.map((row) => ({
    drop: toDrop(row),
    sold: row.sold,
    remaining: row.remaining,
    revenueCents: Number(row.revenue_cents),
    serverTime: new Date(row.server_time),
  }));
}

export interface DropPace {
  sold: number;
  remaining: number;
  revenueCents: number;
  /** Orders placed in the last `windowSeconds`, on the database clock. */
  recentOrders: number;
  newestOrderId: string | undefined;
  serverTime: Date;
}

/** What a drop has sold and how fast, counted from the orders and stock rows in one statement. */
export async function readDropPace(db: Database, dropId: string, windowSeconds: number): Promise<DropPace> {
  const { rows } = await db.query<{
    sold: number;
    revenue_cents: string;
    recent_orders: number;
    remaining: number;
    newest_order_id: string | null;
    server_time: Date;
  }>(
    `SELECT count(*)::int AS sold,
            coalesce(sum(o.price_cents), 0)::text AS revenue_cents,
            coalesce(sum(CASE WHEN o.created_at > now() - $2::int * interval '1 second' THEN 1 ELSE 0 END), 0)::int
              AS recent_orders,
            (SELECT coalesce(sum(s.remaining), 0)::int FROM stock_buckets s WHERE s.drop_id = $1::uuid) AS remaining,
            (SELECT n.id FROM orders n WHERE n.drop_id = $1::uuid ORDER BY n.created_at DESC, n.id DESC LIMIT 1)
              AS newest_order_id,
            now() AS server_time
     FROM orders o WHERE o.drop_id = $1::uuid`,
    [dropId, windowSeconds],
  );
  const row = rows[0]!;
  return {
    sold: row.sold,
    remaining: row.remaining,
    revenueCents: Number(row.revenue_cents),
    recentOrders: row.recent_orders,
    newestOrderId: row.newest_order_id ?? undefined,
    serverTime: new Date(row.server_time),
  };
}

/**
 * The newest page of a drop's orders together with how many orders it has in all, read in one statement so
 * both come from the same snapshot: a live view that starts from this page knows exactly what it has seen.
 */
export async function listNewestOrders(
  db: Database,
  dropId: string,
  limit: number,
): Promise<{ orders: Order[]; total: number }> {
  const { rows } = await db.query<OrderRow & { total: number }>(
    `SELECT ${ORDER_COLUMNS}, count(*) OVER ()::int AS total FROM orders
     WHERE drop_id = $1::uuid
     ORDER BY created_at DESC, id DESC
     LIMIT $2::int`,
    [dropId, limit],
  );
  return { orders: rows.map(toOrder), total: rows[0]?.total ?? 0 };
}

/**
 * Orders placed after the order `sinceOrderId` (all orders when it is absent), oldest first, so a live view
 * can add them above what it shows; keyset on (created_at, id) like `listOrders`. `behind` counts the orders
 * at or before the cursor in the same snapshot: when it exceeds what the view has seen, purchases that
 * started earlier committed later and landed behind the cursor.
 */
export async function listOrdersSince(
  db: Database,
  dropId: string,
  limit: number,
  sinceOrderId?: string,
): Promise<{ orders: Order[]; behind: number }> {
  const { rows } = await db.query<{ [K in keyof OrderRow]: OrderRow[K] | null } & { behind: number }>(
    `WITH cursor_order AS (
       SELECT c.created_at, c.id FROM orders c WHERE c.id = $2::uuid AND c.drop_id = $1::uuid
     ), behind AS (
       SELECT count(*)::int AS behind FROM orders o, cursor_order c
       WHERE o.drop_id = $1::uuid AND (o.created_at, o.id) <= (c.created_at, c.id)
     ), fresh AS (
       SELECT ${ORDER_COLUMNS} FROM orders
       WHERE drop_id = $1::uuid
         AND ($2::uuid IS NULL OR (created_at, id) > (SELECT created_at, id FROM cursor_order))
       ORDER BY created_at ASC, id ASC
       LIMIT $3::int
     )
     SELECT fresh.*, behind.behind FROM behind LEFT JOIN fresh ON true
     ORDER BY fresh.created_at ASC, fresh.id ASC`,
    [dropId, sinceOrderId ?? null, limit],
  );
  const orders = rows.filter((row): row is OrderRow & { behind: number } => row.id !== null).map(toOrder);
  return { orders, behind: rows[0]?.behind ?? 0 };
}

/** A seller's revenue per currency over real drops only: rehearsal sales are not money. */
export async function sumSellerRevenue(
  db: Database,
  sellerId: string,
): Promise<{ currency: string; revenueCents: number }[]> {
  const { rows } = await db.query<{ currency: string; revenue_cents: string }>(
    `SELECT d.currency, sum(o.price_cents)::text AS revenue_cents
     FROM drops d JOIN orders o ON o.drop_id = d.id
     WHERE d.seller_id = $1::uuid AND NOT d.is_rehearsal
     GROUP BY d.currency
     ORDER BY d.currency`,
    [sellerId],
  );
  return rows.map((row) => ({ currency: row.currency, revenueCents: Number(row.revenue_cents) }));
}

// ---- fan page & first-run demo

/** Whether any seller exists: the embedded database counts as fresh, and gets the demo, until one does. */
export async function anySellerExists(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM sellers) AS found");
  return rows[0]!.found;
}

// ---- benchmark only (bench/engine.ts): the plain-insert ceiling the purchase is compared with

/**
 * A scratch table for `npm run bench`, created only in the bench's own throwaway database; never part of
 * the app's schema, so it is not a migration.
 */
export async function createBenchScratchTable(db: Database): Promise<void> {
  await db.query(
    `CREATE TABLE IF NOT EXISTS bench_scratch (
       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
       n integer NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
}

/** One plain single-row INSERT, the cheapest write the database offers: the bench's ceiling. */
export async function insertBenchScratchRow(db: Database, n: number): Promise<void> {
  await db.query("INSERT INTO bench_scratch (n) VALUES ($1::int)", [n]);
}

// ---- stress tests

export type StressTestStatus = "running" | "passed" | "failed" | "cancelled" | "interrupted";

/** A stress_tests row; the receipt stays the JSON text it is stored as, the domain reads it. */
export interface StressTestRow {
  id: string;
  sellerId: string;
  dropId: string;
  rehearsalDropId: string;
  status: StressTestStatus;
  attempts: number;
  concurrency: number;
  receiptJson: string | null;
  problem: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

const STRESS_TEST_COLUMNS = `id, seller_id, drop_id, rehearsal_drop_id, status, attempts, concurrency,
  receipt, problem, created_at, finished_at`;

interface StressTestDbRow {
  id: string;
  seller_id: string;
  drop_id: string;
  rehearsal_drop_id: string;
  status: StressTestStatus;
  attempts: number;
  concurrency: number;
  receipt: string | null;
  problem: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const toStressTest = (row: StressTestDbRow): StressTestRow => ({
  id: row.id,
  sellerId: row.seller_id,
  dropId: row.drop_id,
  rehearsalDropId: row.rehearsal_drop_id,
  status: row.status,
  attempts: row.attempts,
  concurrency: row.concurrency,
  receiptJson: row.receipt,
  problem: row.problem,
  createdAt: new Date(row.created_at),
  finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
});

/**
 * Records a running test. Its running_slot is the seller's id, so a second running test of the same seller
 * violates stress_tests_one_running_key (the caller turns that into "one at a time").
 */
export async function insertStressTest(
  db: Database,
  test: {
    sellerId: string;
    dropId: string;
    rehearsalDropId: string;
    attempts: number;
    concurrency: number;
  },
): Promise<StressTestRow> {
  const { rows } = await db.query<StressTestDbRow>(
    `INSERT INTO stress_tests (seller_id, drop_id, rehearsal_drop_id, status, attempts, concurrency,
                               running_slot)
     VALUES ($1::uuid, $2::uuid, $3::uuid, 'running', $4::int, $5::int, $1::uuid)
     RETURNING ${STRESS_TEST_COLUMNS}`,
    [test.sellerId, test.dropId, test.rehearsalDropId, test.attempts, test.concurrency],
  );
  return toStressTest(rows[0]!);
}

/** The runner is still at work: keeps the row from being taken for one a stopped process left behind. */
export async function touchStressTest(db: Database, id: string): Promise<void> {
  await db.query("UPDATE stress_tests SET heartbeat_at = now() WHERE id = $1::uuid AND status = 'running'", [
    id,
  ]);
}

/** Ends a running test with its outcome and frees the seller's running slot; a finished one is left as is. */
export async function finishStressTest(
  db: Database,
  id: string,
  outcome: {
    status: Exclude<StressTestStatus, "running">;
    receiptJson: string | null;
    problem: string | null;
  },
): Promise<StressTestRow | undefined> {
  const { rows } = await db.query<StressTestDbRow>(
    `UPDATE stress_tests
     SET status = $2::text, receipt = $3::text, problem = $4::text, running_slot = NULL, finished_at = now()
     WHERE id = $1::uuid AND status = 'running'
     RETURNING ${STRESS_TEST_COLUMNS}`,
    [id, outcome.status, outcome.receiptJson, outcome.problem],
  );
  return rows[0] && toStressTest(rows[0]);
}

/**
 * Marks interrupted every running test whose heartbeat is older than `staleSeconds`, except those this
 * process is driving (`liveIds`): the process that drove it stopped. Returns how many it marked.
 */
export async function interruptAbandonedStressTests(
  db: Database,
  liveIds: readonly string[],
  staleSeconds: number,
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE stress_tests
     SET status = 'interrupted', running_slot = NULL, finished_at = now(),
         problem = 'The server process running this test stopped before it finished.'
     WHERE running_slot IS NOT NULL
       AND heartbeat_at < now() - $2::int * interval '1 second'
       AND NOT (id = ANY ($1::uuid[]))
     RETURNING id`,
    [liveIds, staleSeconds],
  );
  return rows.length;
}

export async function findStressTest(db: Database, id: string): Promise<StressTestRow | undefined> {
  const { rows } = await db.query<StressTestDbRow>(
    `SELECT ${STRESS_TEST_COLUMNS} FROM stress_tests WHERE id = $1::uuid`,
    [id],
  );
  return rows[0] && toStressTest(rows[0]);
}

/** The seller's one running test, if any (found through its running slot). */
export async function findRunningStressTest(
  db: Database,
  sellerId: string,
): Promise<StressTestRow | undefined> {
  const { rows } = await db.query<StressTestDbRow>(
    `SELECT ${STRESS_TEST_COLUMNS} FROM stress_tests WHERE running_slot = $1::uuid`,
    [sellerId],
  );
  return rows[0] && toStressTest(rows[0]);
}

/** A drop's tests, newest first. */
export async function listStressTests(db: Database, dropId: string, limit: number): Promise<StressTestRow[]> {
  const { rows } = await db.query<StressTestDbRow>(
    `SELECT ${STRESS_TEST_COLUMNS} FROM stress_tests WHERE drop_id = $1::uuid
     ORDER BY created_at DESC, id DESC
     LIMIT $2::int`,
    [dropId, limit],
  );
  return rows.map(toStressTest);
}
