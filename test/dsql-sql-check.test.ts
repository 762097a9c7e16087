import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, sqlState } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { openPglite } from "../src/db/pglite";
import { planBuckets } from "../src/domain/purchase/stock-plan";
import { planVariantBuckets } from "../src/domain/purchase/variants";
import * as repo from "../src/repository";
import {
  DSQL_MAX_ROWS_PER_TRANSACTION,
  parseSql,
  recordingDatabase,
  type SentStatement,
  statementProblems,
  transactionProblems,
  transactionsOf,
} from "./support/dsql-check";

/**
 * Issue 15 §5: every statement the repository can send, parsed by PostgreSQL's own parser (libpg-query)
 * and checked against what Aurora DSQL refuses (/work/shared/DSQL.md). The statements are not copied
 * here: each exported repository function is run for real (PGlite, through a recording Database), both
 * purchase forms included, and what it sent is checked, transaction by transaction. The table of calls is
 * typed against the repository's exports, so a new export that is not exercised here fails typecheck.
 */

type Exports = typeof repo;
type FunctionName = {
  [K in keyof Exports]: Exports[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Exports];

interface Context {
  db: Database;
  sellerId: string;
  dropId: string;
  holdDropId: string;
  orderId: string;
  imageId: string;
  attemptId: string;
  /** Made by the messages calls below, in order. */
  endpointId?: string;
  deliveryId?: string;
}

const member = (n: number) => ({
  fan: `fan${n}@example.com`,
  fanShown: `Fan${n}@example.com`,
  idempotencyKey: randomUUID(),
  fingerprint: `fp${n}`,
  attemptNumber: 1,
});
const image = (width: number) => ({
  width,
  height: width,
  contentHash: `h${width}`,
  bytes: Buffer.from([width]),
});
const table: repo.TableShape = {
  name: "site_secrets",
  columns: [
    { name: "name", type: "text" },
    { name: "secret", type: "text" },
  ],
  primaryKey: ["name"],
};

const ADDRESS = {
  name: "Zoë Fan",
  line1: "1 Main St",
  line2: "",
  city: "Leeds",
  postalCode: "LS1 1AA",
  country: "GB",
};

/** A fresh instant order of the context's drop. */
async function instantOrder(c: Context) {
  const outcomes = await repo.purchaseBatch(c.db, "transaction", {
    dropId: c.dropId,
    members: [member(100 + Math.floor(Math.random() * 1e6))],
    startBucket: 0,
  });
  const order = outcomes?.[0]?.placed;
  if (!order) throw new Error("no instant order");
  return order;
}

/** One real call per exported function; the order matters only where a call needs what an earlier one made. */
const calls: Record<FunctionName, (c: Context) => Promise<unknown> | unknown> = {
  // purchase, both forms, and the probe that picks one
  probePurchaseForm: (c) => repo.probePurchaseForm(c.db),
  purchaseBatch: async (c) => {
    await repo.purchaseBatch(c.db, "cte", {
      dropId: c.dropId,
      members: [member(1), member(2)],
      startBucket: 0,
    });
    await repo.purchaseBatch(c.db, "transaction", {
      dropId: c.dropId,
      members: [member(3), member(4)],
      startBucket: 1,
    });
  },
  findOrderByKey: (c) => repo.findOrderByKey(c.db, c.dropId, "k"),
  listOrderKeys: (c) => repo.listOrderKeys(c.db, c.dropId, 10, "a", 1),
  // drops, edits and the kill switch
  insertDropWithStock: () => undefined, // sent in setUp
  insertBuckets: (c) => c.db.transaction((tx) => repo.insertBuckets(tx, c.dropId, [])),
  findDropById: (c) => repo.findDropById(c.db, c.dropId),
  findDropBySlug: (c) => repo.findDropBySlug(c.db, "slug"),
  readStock: (c) => repo.readStock(c.db, c.dropId),
  readStocks: (c) => repo.readStocks(c.db, [c.dropId, c.holdDropId]),
  recentDropsOf: (c) => repo.recentDropsOf(c.db, c.sellerId, 3600),
  readDropWithStock: (c) => repo.readDropWithStock(c.db, c.dropId),
  insertVariants: (c) =>
    c.db.transaction((tx) =>
      repo.insertVariants(tx, c.dropId, [
        { name: "S", quantity: 1 },
        { name: "M", quantity: 2, priceCents: 10 },
      ]),
    ),
  listVariants: (c) => repo.listVariants(c.db, c.dropId),
  countVariantSales: (c) => repo.countVariantSales(c.db, c.dropId),
  dropWideUnitSql: (c) =>
    c.db.query(`SELECT ${repo.dropWideUnitSql("o")} AS unit FROM orders o WHERE o.drop_id = $1::uuid`, [
      c.dropId,
    ]),
  variantNameSql: (c) =>
    c.db.query(
      `SELECT o.id, ${repo.variantNameSql("o")} AS variant FROM orders o WHERE o.drop_id = $1::uuid`,
      [c.dropId],
    ),
  readVariantStock: (c) => repo.readVariantStock(c.db, c.dropId),
  changeUpcomingDrop: async (c) => {
    const upcoming = await repo.insertDropWithStock(
      c.db,
      {
        sellerId: c.sellerId,
        slug: `edit-${randomUUID()}`,
        title: "Edit",
        description: "",
        priceCents: 100,
        currency: "EUR",
        quantity: 10,
        maxPerFan: 1,
        startsAt: new Date(Date.UTC(2100, 0, 1)),
      },
      planBuckets(10),
    );
    const ref = { dropId: upcoming.id, sellerId: c.sellerId };
    await repo.changeUpcomingDrop(c.db, ref, { title: "Edited" }, { cancel: false, buckets: undefined });
    await repo.changeUpcomingDrop(c.db, ref, { quantity: 20 }, { cancel: false, buckets: planBuckets(20) });
    // Sizes before go-live (the list replaced, then back to one size) and shipping (issue 18).
    const sized = [
      { name: "S", quantity: 3 },
      { name: "M", quantity: 4, priceCents: 200 },
    ];
    const sizes = { variants: sized, buckets: planVariantBuckets([3, 4]), collectShipping: true };
    await repo.changeUpcomingDrop(c.db, ref, {}, { cancel: false, buckets: undefined, sizes });
    const one = { variants: null, quantity: 5, buckets: planBuckets(5) };
    await repo.changeUpcomingDrop(c.db, ref, {}, { cancel: false, buckets: undefined, sizes: one });
    await repo.changeUpcomingDrop(c.db, ref, {}, { cancel: true, buckets: undefined });
    // Sizes once live: one lowered and renamed (its units taken away), one removed.
    const live = await repo.insertDropWithStock(
      c.db,
      {
        sellerId: c.sellerId,
        slug: `sizes-${randomUUID()}`,
        title: "Sizes",
        description: "",
        priceCents: 100,
        currency: "EUR",
        quantity: 7,
        maxPerFan: 1,
        variants: sized,
      },
      planVariantBuckets([3, 4]),
    );
    const [s] = await repo.listVariants(c.db, live.id);
    await repo.changeUpcomingDrop(
      c.db,
      { dropId: live.id, sellerId: c.sellerId },
      {},
      { cancel: false, buckets: undefined, sizes: { variants: [{ id: s!.id, name: "Small", quantity: 1 }] } },
    );
  },
  setDropPaused: async (c) => {
    await repo.setDropPaused(c.db, { dropId: c.dropId, sellerId: c.sellerId }, true);
    await repo.setDropPaused(c.db, { dropId: c.dropId, sellerId: c.sellerId }, false);
  },
  // holds and checkout
  claimHold: () => undefined, // sent in setUp
  findHoldByKey: (c) => repo.findHoldByKey(c.db, c.holdDropId, "k"),
  findCheckoutOrder: (c) => repo.findCheckoutOrder(c.db, c.orderId),
  markPaid: (c) => repo.markPaid(c.db, c.orderId, "pay_1"),
  releaseHold: (c) => repo.releaseHold(c.db, c.orderId),
  sweepExpiredHolds: (c) => repo.sweepExpiredHolds(c.db, 500),
  recordRefund: (c) => repo.recordRefund(c.db, c.orderId, "pay_1"),
  listUnitClaims: (c) => repo.listUnitClaims(c.db, c.holdDropId, 10),
  readCheckoutBooks: (c) => repo.readCheckoutBooks(c.db, c.holdDropId),
  countHeldOrders: (c) => repo.countHeldOrders(c.db, c.holdDropId),
  checkoutTotals: (c) => repo.checkoutTotals(c.db, c.holdDropId),
  // payment attempts
  startPaymentAttempt: () => undefined, // sent in setUp
  recordPaymentAnswer: (c) =>
    repo.recordPaymentAnswer(c.db, c.attemptId, { paymentRef: "p", state: "succeeded" }),
  leasePaymentAttempt: (c) => repo.leasePaymentAttempt(c.db, c.attemptId, 60, "test"),
  listOpenPaymentAttempts: (c) => repo.listOpenPaymentAttempts(c.db, 0, 10),
  settlePaymentAttempt: (c) => repo.settlePaymentAttempt(c.db, c.attemptId, "kept", "test", "p"),
  settleAttemptsOfPayment: (c) => repo.settleAttemptsOfPayment(c.db, c.orderId, "p", "kept", "test"),
  listPaymentAttempts: (c) => repo.listPaymentAttempts(c.db, c.orderId),
  // orders, dashboard, storefront
  // order management (issue 18 §2, §3): an instant order given an address, fulfilled, cancelled; a paid hold refunded
  findManagedOrder: (c) => repo.findManagedOrder(c.db, c.orderId),
  listManagedOrders: (c) => repo.listManagedOrders(c.db, c.dropId, 0, 10),
  highestOrderedUnit: (c) => repo.highestOrderedUnit(c.db, c.dropId, 0, 1_000_000),
  countAddressMissing: (c) => repo.countAddressMissing(c.db, c.dropId),
  setShipping: async (c) => repo.setShipping(c.db, (await instantOrder(c)).id, ADDRESS),
  fulfilOrder: async (c) => repo.fulfilOrder(c.db, (await instantOrder(c)).id, "https://track.example/1"),
  fulfilPaidOrders: (c) => repo.fulfilPaidOrders(c.db, c.dropId, 10),
  openAttemptsOfOrder: (c) => repo.openAttemptsOfOrder(c.db, c.orderId),
  closeOrder: async (c) => {
    await repo.closeOrder(c.db, (await instantOrder(c)).id, "cancelled", "");
    const paid = await repo.claimHold(c.db, {
      dropId: c.holdDropId,
      fan: "payer@example.com",
      fanShown: "Payer@example.com",
      idempotencyKey: randomUUID(),
      fingerprint: "f",
      tokenHash: "t",
      attemptNumber: 1,
      startBucket: 0,
      startUnit: 1,
    });
    if (paid.kind !== "placed") throw new Error(`no hold: ${paid.kind}`);
    await repo.markPaid(c.db, paid.order.id, "pay_refund");
    await repo.closeOrder(c.db, paid.order.id, "refunded", "test");
  },
  auditDrop: (c) => repo.auditDrop(c.db, c.dropId),
  listOrders: (c) => repo.listOrders(c.db, c.dropId, 10),
  listSellerDropSales: (c) => repo.listSellerDropSales(c.db, c.sellerId, 10),
  readDropPace: (c) => repo.readDropPace(c.db, c.dropId, 60),
  listNewestOrders: (c) => repo.listNewestOrders(c.db, c.dropId, 10),
  listOrdersSince: (c) => repo.listOrdersSince(c.db, c.dropId, 10),
  sumSellerRevenue: (c) => repo.sumSellerRevenue(c.db, c.sellerId),
  listOrdersByUnit: (c) => repo.listOrdersByUnit(c.db, c.dropId, 0, 10),
  readSalesTimeline: (c) => repo.readSalesTimeline(c.db, c.dropId),
  findShopOfSeller: (c) => repo.findShopOfSeller(c.db, c.sellerId),
  findShopBySlug: (c) => repo.findShopBySlug(c.db, "shop"),
  claimShopSlug: (c) => repo.claimShopSlug(c.db, c.sellerId, `shop-${randomUUID()}`),
  listShopDrops: (c) => repo.listShopDrops(c.db, c.sellerId),
  findOrderOfDrop: (c) => repo.findOrderOfDrop(c.db, c.dropId, c.orderId),
  siteSecret: (c) => repo.siteSecret(c.db, "test", "candidate"),
  // pictures
  insertDropImage: () => undefined, // sent in setUp
  listDropImages: (c) => repo.listDropImages(c.db, [c.dropId]),
  countDropImages: (c) => repo.countDropImages(c.db, c.dropId),
  readImageFile: (c) => repo.readImageFile(c.db, c.imageId, 320, "h320"),
  deleteDropImage: (c) => repo.deleteDropImage(c.db, c.dropId, c.imageId),
  insertPendingPicture: (c) => repo.insertPendingPicture(c.db, c.sellerId),
  isPendingPictureOf: (c) => repo.isPendingPictureOf(c.db, c.imageId, c.sellerId),
  movePendingPicture: (c) => repo.movePendingPicture(c.db, c.imageId, c.sellerId, c.dropId),
  deleteStalePendingPictures: (c) => repo.deleteStalePendingPictures(c.db, 24, 100),
  // messages: events, the sequencer, webhook endpoints, deliveries, the dev mailbox (src/domain/messages)
  recordEvents: (c) => repo.recordEvents(c.db, [{ dropId: c.dropId, type: "drop.paused" }]),
  dropsToSequence: (c) => repo.dropsToSequence(c.db, 10, 5000),
  sequenceDrop: (c) => repo.sequenceDrop(c.db, c.dropId, 150, async () => undefined, 5000),
  listDropEvents: (c) => repo.listDropEvents(c.db, c.dropId),
  insertEndpoint: async (c) => {
    const endpoint = {
      sellerId: c.sellerId,
      url: "https://example.com/hook",
      events: null,
      secret: "whsec_a",
    };
    c.endpointId = (await repo.insertEndpoint(c.db, endpoint)).id;
  },
  countEndpoints: (c) => repo.countEndpoints(c.db, c.sellerId),
  listEndpoints: (c) => repo.listEndpoints(c.db, c.sellerId),
  findEndpoint: (c) => repo.findEndpoint(c.db, c.sellerId, c.endpointId!),
  signingEndpoint: (c) => repo.signingEndpoint(c.db, c.endpointId!),
  activeEndpoints: (c) => repo.activeEndpoints(c.db, c.sellerId),
  rotateEndpointSecret: (c) => repo.rotateEndpointSecret(c.db, c.sellerId, c.endpointId!, "whsec_b", 24),
  endpointSucceeded: (c) => repo.endpointSucceeded(c.db, c.endpointId!),
  endpointFailed: (c) => repo.endpointFailed(c.db, c.endpointId!, undefined, 3 * 24 * 3600_000),
  addDeliveries: async (c) => {
    const [event] = await repo.listDropEvents(c.db, c.dropId);
    if (!event) throw new Error("no event to deliver");
    const target = `webhook:${c.endpointId}`;
    await repo.addDeliveries(c.db, [
      { eventId: event.id, kind: "webhook", target, endpointId: c.endpointId },
    ]);
  },
  addPing: async (c) => {
    c.deliveryId = await repo.addPing(c.db, c.endpointId!);
  },
  leaseDueDeliveries: (c) => repo.leaseDueDeliveries(c.db, "process-a", 10, 1000),
  leaseDelivery: (c) => repo.leaseDelivery(c.db, c.deliveryId!, "process-b", 1000),
  finishAttempt: (c) =>
    repo.finishAttempt(c.db, c.deliveryId!, "process-b", { status: "delivered", httpStatus: 200 }),
  finishAttempts: (c) =>
    repo.finishAttempts(c.db, "process-b", [
      {
        id: c.deliveryId!,
        result: { status: "pending", httpStatus: 500, error: "HTTP 500", retryInMs: 5000 },
      },
    ]),
  listEndpointDeliveries: (c) => repo.listEndpointDeliveries(c.db, c.endpointId!, 10),
  findEndpointDelivery: (c) => repo.findEndpointDelivery(c.db, c.endpointId!, c.deliveryId!),
  requeueDelivery: (c) => repo.requeueDelivery(c.db, c.endpointId!, c.deliveryId!),
  keepMail: (c) =>
    repo.keepMail(c.db, c.deliveryId!, {
      recipient: "fan@example.com",
      subject: "Your order",
      text: "Unit 1",
      html: "<p>Unit 1</p>",
      headers: {},
    }),
  listMailbox: (c) => repo.listMailbox(c.db, 10),
  suppressAddress: (c) => repo.suppressAddress(c.db, "fan@example.com"),
  isSuppressed: (c) => repo.isSuppressed(c.db, "fan@example.com"),
  mailContext: (c) => repo.mailContext(c.db, c.dropId, c.orderId),
  deleteEndpoint: (c) => repo.deleteEndpoint(c.db, c.sellerId, c.endpointId!),
  // fairness: verified fans' codes, notify-me
  countCodeSends: (c) => repo.countCodeSends(c.db, "fan@example.com", "local", new Date(0)),
  insertFanCode: (c) =>
    repo.insertFanCode(c.db, {
      fan: "fan@example.com",
      client: "local",
      codeHash: "h",
      createdAt: new Date(0),
      expiresAt: new Date(600_000),
    }),
  latestFanCode: (c) => repo.latestFanCode(c.db, "fan@example.com"),
  countWrongTry: async (c) =>
    repo.countWrongTry(c.db, (await repo.latestFanCode(c.db, "fan@example.com"))!.id, 5),
  useFanCode: async (c) =>
    repo.useFanCode(c.db, (await repo.latestFanCode(c.db, "fan@example.com"))!.id, new Date(0), 5),
  addNotifySignup: (c) =>
    repo.addNotifySignup(c.db, { dropId: c.dropId, fan: "fan@example.com", email: "Fan@example.com" }),
  findNotifySignup: (c) => repo.findNotifySignup(c.db, randomUUID()),
  confirmNotifySignup: (c) => repo.confirmNotifySignup(c.db, randomUUID()),
  leaseDueNotifications: (c) => repo.leaseDueNotifications(c.db, "owner", 1000, 10),
  markNotified: (c) => repo.markNotified(c.db, randomUUID(), "owner"),
  retryNotificationLater: (c) => repo.retryNotificationLater(c.db, randomUUID(), "owner", 1000),
  fairnessCounts: (c) => repo.fairnessCounts(c.db, c.dropId),
  // the shop's brand (logo and banner are replaced and cleared; their old files removed)
  saveBrandText: (c) => repo.saveBrandText(c.db, c.sellerId, { accent: "#aa3300", bio: "Hi", links: "[]" }),
  setBrandPicture: async (c) => {
    const files = [{ ...image(320), contentHash: "logo320" }];
    await repo.setBrandPicture(c.db, c.sellerId, "logo", { id: randomUUID(), descriptor: "{}", files });
    await repo.setBrandPicture(c.db, c.sellerId, "banner", { id: randomUUID(), descriptor: "{}", files });
  },
  clearBrandPicture: (c) => repo.clearBrandPicture(c.db, c.sellerId, "banner"),
  deleteImageFiles: (c) => repo.deleteImageFiles(c.db, randomUUID()),
  // sellers, sessions, sign-in
  insertSeller: () => undefined, // sent in setUp
  findSellerByApiKeyHash: (c) => repo.findSellerByApiKeyHash(c.db, "h"),
  findSellerCredentials: (c) => repo.findSellerCredentials(c.db, "a@example.com"),
  updateSellerApiKey: (c) => repo.updateSellerApiKey(c.db, c.sellerId, "h2"),
  updateSellerPassword: (c) => repo.updateSellerPassword(c.db, "a@example.com", "h3"),
  anySellerExists: (c) => repo.anySellerExists(c.db),
  insertSellerSession: (c) =>
    repo.insertSellerSession(c.db, { tokenHash: "t", sellerId: c.sellerId, ttlSeconds: 60 }),
  findSessionSeller: (c) => repo.findSessionSeller(c.db, "t"),
  deleteSellerSession: (c) => repo.deleteSellerSession(c.db, "t"),
  deleteExpiredSellerSessions: (c) => repo.deleteExpiredSellerSessions(c.db, c.sellerId),
  deleteSessionsOfEmail: (c) => repo.deleteSessionsOfEmail(c.db, "a@example.com"),
  recentSignInFailures: (c) => repo.recentSignInFailures(c.db, "a@example.com", "c", new Date(0)),
  insertSignInFailure: (c) => repo.insertSignInFailure(c.db, "a@example.com", "c", new Date()),
  deleteSignInFailures: (c) => repo.deleteSignInFailures(c.db, "a@example.com", "c"),
  pruneSignInFailures: (c) => repo.pruneSignInFailures(c.db, new Date(), 1000),
  // stress tests
  insertStressTest: (c) =>
    repo.insertStressTest(c.db, {
      sellerId: c.sellerId,
      dropId: c.dropId,
      rehearsalDropId: c.dropId,
      attempts: 10,
      concurrency: 2,
    }),
  touchStressTest: (c) => repo.touchStressTest(c.db, randomUUID()),
  finishStressTest: (c) =>
    repo.finishStressTest(c.db, randomUUID(), { status: "cancelled" } as Parameters<
      typeof repo.finishStressTest
    >[2]),
  interruptAbandonedStressTests: (c) => repo.interruptAbandonedStressTests(c.db, [randomUUID()], 60),
  findStressTest: (c) => repo.findStressTest(c.db, randomUUID()),
  findRunningStressTest: (c) => repo.findRunningStressTest(c.db, c.sellerId),
  listStressTests: (c) => repo.listStressTests(c.db, c.dropId, 10),
  stressUsage: (c) => repo.stressUsage(c.db, c.sellerId),
  countRunningStressTests: (c) => repo.countRunningStressTests(c.db),
  // operations, statistics, transfer, bench
  appliedMigrationNames: (c) => repo.appliedMigrationNames(c.db),
  analyzeOrders: (c) => repo.analyzeOrders(c.db),
  describeTables: (c) => repo.describeTables(c.db),
  countRows: (c) => repo.countRows(c.db, table),
  readPage: (c) => repo.readPage(c.db, table, 10, ["a"]),
  insertRows: (c) =>
    repo.insertRows(c.db, table, [JSON.stringify({ name: `n${randomUUID()}`, secret: "s" })]),
  listAllDropIds: (c) => repo.listAllDropIds(c.db),
  appliedMigrations: (c) => repo.appliedMigrations(c.db),
  createBenchScratchTable: (c) => repo.createBenchScratchTable(c.db),
  insertBenchScratchRow: (c) => repo.insertBenchScratchRow(c.db, 1),
  baselinePurchase: () => undefined, // the bench's own session (BEGIN ... COMMIT by hand): checked below
  // fairness: a draw drop made here (its draw in the drop's transaction), entries, ranking, offers, waitlist
  insertDraw: async (c) => {
    const drop = await repo.insertDropWithStock(
      c.db,
      {
        sellerId: c.sellerId,
        slug: `draw-${randomUUID()}`,
        title: "Draw",
        description: "",
        priceCents: 100,
        currency: "EUR",
        quantity: 10,
        maxPerFan: 1,
        holdSeconds: 60,
        draw: {
          seed: "s",
          commitment: "c",
          entriesCloseAt: new Date(Date.UTC(2100, 0, 1)),
          publicValueSource: "a lottery",
        },
      },
      planBuckets(10),
    );
    drawDropId = drop.id;
  },
  findDraw: (c) => repo.findDraw(c.db, drawDropId),
  enterDraw: (c) => repo.enterDraw(c.db, { dropId: drawDropId, fan: "f1", fanShown: "F1" }),
  joinWaitlist: (c) => repo.joinWaitlist(c.db, { dropId: c.holdDropId, fan: "w1", fanShown: "W1" }),
  leaveWaitlist: (c) => repo.leaveWaitlist(c.db, c.holdDropId, "w1"),
  findEntryState: (c) => repo.findEntryState(c.db, drawDropId, "f1"),
  dueDraws: (c) => repo.dueDraws(c.db, 30, 10),
  freezeDraw: (c) => repo.freezeDraw(c.db, drawDropId, 30),
  closeRehearsalEntries: (c) => repo.closeRehearsalEntries(c.db, drawDropId),
  listDrawEntries: (c) => repo.listDrawEntries(c.db, drawDropId),
  writeRanks: (c) => repo.writeRanks(c.db, drawDropId, [randomUUID()], [1]),
  finishRanking: (c) => repo.finishRanking(c.db, drawDropId),
  setPublicValue: (c) => repo.setPublicValue(c.db, drawDropId, "42"),
  openDrawLeftovers: (c) => repo.openDrawLeftovers(c.db, drawDropId),
  queueStats: (c) => repo.queueStats(c.db, drawDropId),
  offerFreeUnits: async (c) => {
    // A fan waiting on the hold drop, so the offer's every statement (unit, order, entry, event) is sent.
    await c.db.query(
      "INSERT INTO offer_queue (drop_id, kind, fan, fan_shown) VALUES ($1::uuid, 'waitlist', 'o1', 'O1')",
      [c.holdDropId],
    );
    await c.db.transaction((tx) => repo.offerFreeUnits(tx, c.holdDropId, 10));
  },
  returnUnits: (c) =>
    c.db.transaction((tx) => repo.returnUnits(tx, [{ dropId: c.holdDropId, unitNo: 9999 }])),
  dropsWithFreeUnitsAndQueue: (c) => repo.dropsWithFreeUnitsAndQueue(c.db, 10),
  hasWaitingEntries: (c) => repo.hasWaitingEntries(c.db, c.holdDropId),
  claimOffer: (c) => repo.claimOffer(c.db, c.orderId),
};
let drawDropId = "";

describe("every statement the repository sends, through PostgreSQL's parser", () => {
  let raw: Database;
  let recorded: { db: Database; log: SentStatement[] };
  const sentBy = new Map<string, SentStatement[]>();

  beforeAll(async () => {
    raw = await openPglite("memory");
    await migrate(raw);
    recorded = recordingDatabase(raw);
    const { db, log } = recorded;
    const mark = () => log.length;
    const since = (start: number) => log.slice(start);
    let start = mark();
    const seller = await repo.insertSeller(db, {
      email: "a@example.com",
      name: "A",
      passwordHash: "x",
      apiKeyHash: "h",
    });
    sentBy.set("insertSeller", since(start));
    const newDrop = (holdSeconds: number) =>
      repo.insertDropWithStock(
        db,
        {
          sellerId: seller.id,
          slug: `d-${randomUUID()}`,
          title: "D",
          description: "",
          priceCents: 100,
          currency: "EUR",
          quantity: 100,
          maxPerFan: 5,
          holdSeconds,
        },
        planBuckets(100),
      );
    start = mark();
    const drop = await newDrop(0);
    sentBy.set("insertDropWithStock", since(start));
    const holdDrop = await newDrop(600);
    start = mark();
    const held = await repo.claimHold(db, {
      dropId: holdDrop.id,
      fan: "fan@example.com",
      fanShown: "Fan@example.com",
      idempotencyKey: "k1",
      fingerprint: "f",
      tokenHash: "t",
      attemptNumber: 1,
      startBucket: 0,
      startUnit: 1,
    });
    sentBy.set("claimHold", since(start));
    if (held.kind !== "placed") throw new Error(`no hold: ${held.kind}`);
    start = mark();
    const attempt = await repo.startPaymentAttempt(db, {
      orderId: held.order.id,
      dropId: holdDrop.id,
      provider: "test",
      amountCents: 100,
      currency: "EUR",
    });
    sentBy.set("startPaymentAttempt", since(start));
    start = mark();
    const imageId = await repo.insertDropImage(db, drop.id, [image(320), image(640)], 8);
    if (!imageId) throw new Error("no picture stored");
    sentBy.set("insertDropImage", since(start));
    const context: Context = {
      db,
      sellerId: seller.id,
      dropId: drop.id,
      holdDropId: holdDrop.id,
      orderId: held.order.id,
      imageId,
      attemptId: attempt.id,
    };
    for (const [name, call] of Object.entries(calls)) {
      if (sentBy.has(name)) continue;
      start = mark();
      // A refusal from the database (a constraint) still means the statement was sent and parsed there.
      await Promise.resolve(call(context)).catch((error: unknown) => {
        if (!sqlState(error)) throw error;
      });
      sentBy.set(name, since(start));
    }
  });
  afterAll(async () => raw?.close());

  it("reaches every exported function, and each one that sends SQL sent some", () => {
    for (const [name, sent] of sentBy) {
      const expected = name === "baselinePurchase" ? 0 : 1;
      expect(sent.length, name).toBeGreaterThanOrEqual(expected);
    }
    expect(sentBy.size).toBe(Object.keys(calls).length);
  });

  it("sends both purchase forms: the data-modifying CTE and the explicit transaction", () => {
    const purchase = sentBy.get("purchaseBatch")!;
    expect(purchase.some((s) => s.name === "purchase_batch" && s.transaction === null)).toBe(true);
    expect(purchase.some((s) => s.transaction !== null)).toBe(true);
  });

  it("never sends what DSQL refuses, in any transaction", async () => {
    // The purchase's one-statement form and its probe are the only data-modifying CTEs: the probe picks the
    // explicit-transaction form wherever a backend refuses them (src/domain/shop.ts purchaseForm).
    const probed = (s: SentStatement) => s.name === "purchase_batch" || /^\s*WITH probe AS/.test(s.sql);
    const found: string[] = [];
    for (const [name, sent] of sentBy) {
      for (const unit of transactionsOf(sent)) {
        for (const problem of await transactionProblems(unit, probed)) {
          found.push(
            `${name}: ${problem}\n    ${unit.map((s) => s.sql.replace(/\s+/g, " ").slice(0, 120)).join("\n    ")}`,
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it("the bench's hand-run transaction parses and holds nothing DSQL refuses", async () => {
    const sql = ["BEGIN", "COMMIT", "ROLLBACK"];
    for (const text of sql) {
      const { statements } = await parseSql(text);
      expect(statements.flatMap((s) => statementProblems(s, false))).toEqual([]);
    }
  });
});

describe("the checker itself", () => {
  const problemsOf = async (sql: string, params: unknown[] = []) =>
    (await transactionProblems([{ sql, params, transaction: null }])).join("\n");
  const transaction = async (...sql: string[]) =>
    (await transactionProblems(sql.map((text) => ({ sql: text, params: [], transaction: 1 })))).join("\n");

  it("accepts what DSQL runs, whatever keywords hide in strings and comments", async () => {
    expect(await problemsOf("SELECT 'TRUNCATE; SAVEPOINT s; LISTEN x' AS text -- NOTIFY y")).toBe("");
    expect(await problemsOf("CREATE INDEX ASYNC IF NOT EXISTS a ON t (b)")).toBe("");
    expect(await problemsOf("UPDATE t SET a = 1 WHERE id = $1::uuid", ["x"])).toBe("");
    expect(await problemsOf("SELECT * FROM t FOR UPDATE")).toBe("");
    expect(await problemsOf("ANALYZE orders")).toBe("");
  });

  it.each([
    ["CREATE SEQUENCE s", "sequences"],
    ["SELECT nextval('s')", "sequences"],
    ["CREATE TABLE t (id serial PRIMARY KEY)", "SERIAL"],
    ["CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY)", "IDENTITY"],
    ["CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", "triggers"],
    ["CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql", "functions"],
    ["DO $$ BEGIN END $$", "functions"],
    ["CREATE TEMPORARY TABLE t (id uuid PRIMARY KEY)", "temporary"],
    ["CREATE UNLOGGED TABLE t (id uuid PRIMARY KEY)", "unlogged"],
    ["TRUNCATE t", "TRUNCATE"],
    ["SAVEPOINT s", "SAVEPOINT"],
    ["ROLLBACK TO SAVEPOINT s", "SAVEPOINT"],
    ["LISTEN x", "LISTEN/NOTIFY"],
    ["NOTIFY x", "LISTEN/NOTIFY"],
    ["SELECT pg_notify('x', 'y')", "LISTEN/NOTIFY"],
    ["CREATE INDEX a ON t (b)", "without ASYNC"],
    ["CREATE INDEX ASYNC a ON t (b DESC)", "sort direction"],
    ["CREATE TABLE t (id uuid PRIMARY KEY, d uuid REFERENCES drops (id))", "foreign keys"],
    ["CREATE TABLE t (id uuid PRIMARY KEY, doc jsonb)", "jsonb"],
    ["CREATE TABLE t (id uuid PRIMARY KEY, tags text[])", "array column"],
    ["CREATE TABLE t (id uuid PRIMARY KEY) PARTITION BY HASH (id)", "partitions"],
    ["CREATE TYPE mood AS ENUM ('a', 'b')", "CREATE TYPE"],
    ["CREATE EXTENSION pgcrypto", "extensions"],
    ["SELECT * FROM t FOR SHARE", "FOR SHARE"],
    ["SELECT * FROM t FOR UPDATE SKIP LOCKED", "SKIP LOCKED"],
    ["SELECT pg_advisory_xact_lock(1)", "advisory"],
    ["LOCK TABLE t", "LOCK TABLE"],
    ["VACUUM orders", "VACUUM"],
    ["WITH x AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM x", "data-modifying CTE"],
  ])("%s -> %s", async (sql, expected) => {
    expect(await problemsOf(sql)).toContain(expected);
  });

  it("refuses two DDL statements, or DDL beside a data change, in one transaction", async () => {
    expect(
      await transaction("CREATE TABLE a (id uuid PRIMARY KEY)", "CREATE TABLE b (id uuid PRIMARY KEY)"),
    ).toContain("2 DDL statements");
    expect(
      await transaction("CREATE TABLE a (id uuid PRIMARY KEY)", "INSERT INTO a VALUES (gen_random_uuid())"),
    ).toContain("mixes DDL with data changes");
    expect(await transaction("CREATE TABLE a (id uuid PRIMARY KEY)", "SELECT 1")).toBe("");
  });

  it(`counts rows changed where the statement tells, and refuses more than ${DSQL_MAX_ROWS_PER_TRANSACTION}`, async () => {
    const big = Array.from({ length: DSQL_MAX_ROWS_PER_TRANSACTION + 1 }, (_, i) => i);
    expect(await problemsOf("INSERT INTO t (n) SELECT * FROM unnest($1::int[])", [big])).toContain(
      "changes up to 3001 rows",
    );
    expect(await problemsOf("INSERT INTO t (n) SELECT * FROM unnest($1::int[])", [big.slice(1)])).toBe("");
    const sweep = "DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY expires_at LIMIT $1::int)";
    expect(await problemsOf(sweep, [3001])).toContain("changes up to 3001 rows");
    // The expiry sweep changes three rows per hold in one transaction: 1,001 holds is too many.
    const sweepTransaction = [
      { sql: sweep, params: [1001], transaction: 1 },
      { sql: "INSERT INTO h SELECT * FROM unnest($1::uuid[])", params: [big.slice(0, 1001)], transaction: 1 },
      { sql: "INSERT INTO r SELECT * FROM unnest($1::uuid[])", params: [big.slice(0, 1001)], transaction: 1 },
    ];
    expect((await transactionProblems(sweepTransaction)).join()).toContain("changes up to 3003 rows");
  });
});
