/**
 * The one delivery path for everything that leaves the server (issue 16): each tick, every process
 * 1. sequences: copies new orders into the outbox, stamps unstamped events with their per-drop position and
 *    fans them out into deliveries (repository/messages/events.ts sequenceDrop; one transaction per drop);
 * 2. delivers: leases due deliveries (repository/messages/outbox.ts) and sends each — a signed webhook or a fan email —
 *    then records the outcome and, on failure, the next attempt's time.
 * Any number of processes may run it at once: sequencing is serialised per drop by the database, a delivery
 * by its lease. A process killed mid-send leaves the lease to run out, and the delivery is sent again.
 */
import { randomUUID } from "node:crypto";
import type { Database, Queryable } from "../../db/database";
import type { Logger } from "../../observability/logger";
import type { LeasedDelivery, NewDelivery, SequencedPass, StoredEvent } from "../../repository";
import * as repo from "../../repository";
import { isRetryableConflict, TryAgain } from "../purchase/retry";
import { type EmailTemplate, emailAddressOf, isReceipt, renderEmail, templatesFor } from "./emails";
import type { Mailer } from "./mailer";
import type { Resolver } from "./safe-address";
import { type DeliverySchedule, defaultSchedule, retryDelay } from "./schedule";
import { postWebhook } from "./webhook-sender";

export interface DispatcherDeps {
  db: Database;
  mailer: Mailer;
  log: Logger;
  /** Links put in emails: an order's receipt, and the one-click unsubscribe of an address. */
  links: {
    receipt(slug: string, orderId: string): Promise<string>;
    unsubscribe(address: string): Promise<string>;
  };
  /** WEBHOOKS_ALLOW_PRIVATE: send to loopback and private addresses (development and tests only). */
  allowPrivate: boolean;
  schedule?: DeliverySchedule;
  resolve?: Resolver;
  random?: () => number;
  /** Events stamped per drop per transaction (keeps a pass under DSQL's 3,000 changed rows). */
  sequenceBatch?: number;
  /** Deliveries leased, and sent at once, per tick. */
  deliverBatch?: number;
  /** How often at most a drop is swept for orders that committed late (repository sequenceDrop). */
  settleEveryMs?: number;
  /**
   * True while this process is selling (purchase statements ran since the last call): the dispatcher then
   * yields the CPU to purchases — it ticks at most every `busyEveryMs` and runs no backlog at once — and
   * catches up at full pace when the selling stops. Never busy when absent.
   */
  purchasing?: () => boolean;
  /** While `purchasing`, the longest a tick waits (default: four ticks, at least 2 s): delivery never starves. */
  busyEveryMs?: number;
}

/** How soon before a hold lapses its reminder goes: five minutes, or half the hold when that is shorter. */
const REMINDER_LEAD_MS = 5 * 60_000;

/**
 * The request body a receiver gets: `{type, timestamp, data}`, with the event's drop, position, order and unit
 * in `data`, and on a drop of several sizes the order's `variant: {id, name}` (unitNo is within it).
 */
export function webhookPayload(event: StoredEvent): string {
  return JSON.stringify({
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: {
      ...(event.dropId ? { dropId: event.dropId, position: event.position } : {}),
      ...(event.orderId ? { orderId: event.orderId, unitNo: event.unitNo } : {}),
      ...(event.variant ? { variant: event.variant } : {}),
      ...event.data,
    },
  });
}

/**
 * @example const dispatcher = createDispatcher({ db, mailer, log, links, allowPrivate: false }); dispatcher.start(500)
 */
export function createDispatcher(deps: DispatcherDeps) {
  const { db, log } = deps;
  const schedule = deps.schedule ?? defaultSchedule;
  const random = deps.random ?? Math.random;
  const owner = randomUUID();
  const sequenceBatch = deps.sequenceBatch ?? 150;
  const deliverBatch = deps.deliverBatch ?? 16;
  const settleEveryMs = deps.settleEveryMs ?? repo.SETTLE_EVERY_MS;
  const purchasing = deps.purchasing ?? (() => false);

  /** The deliveries for the events a pass stamped: the seller's endpoints that want them, the fan's email. */
  async function fanOut(tx: Queryable, pass: SequencedPass): Promise<void> {
    if (pass.stamped.length === 0) return;
    const endpoints = pass.sellerId ? await repo.activeEndpoints(tx, pass.sellerId) : [];
    const deliveries: NewDelivery[] = [];
    for (const event of pass.stamped) {
      for (const endpoint of endpoints) {
        if (endpoint.events && !endpoint.events.includes(event.type)) continue;
        deliveries.push({
          eventId: event.id,
          kind: "webhook",
          target: `webhook:${endpoint.id}`,
          endpointId: endpoint.id,
        });
      }
      const address = emailAddressOf(event.data.fan);
      if (!address) continue;
      for (const template of templatesFor(event)) {
        deliveries.push({
          eventId: event.id,
          kind: "email",
          target: `email:${template}`,
          recipient: address,
          notBefore: template === "reminder" ? reminderTime(event) : undefined,
        });
      }
    }
    await repo.addDeliveries(tx, deliveries);
  }

  function reminderTime(event: StoredEvent): Date | undefined {
    const expiresAt = Date.parse(String(event.data.expiresAt));
    if (Number.isNaN(expiresAt)) return undefined;
    const hold = expiresAt - event.occurredAt.getTime();
    return new Date(expiresAt - Math.min(REMINDER_LEAD_MS, hold / 2));
  }

  /** One pass over every drop with work; returns how many events got their position. */
  async function sequence(): Promise<{ stamped: number; more: boolean }> {
    let stamped = 0;
    let more = false;
    for (const dropId of await repo.dropsToSequence(db, 100, settleEveryMs)) {
      try {
        const pass = await repo.sequenceDrop(db, dropId, sequenceBatch, fanOut, settleEveryMs);
        stamped += pass.stamped.length;
        more ||= pass.more;
      } catch (error) {
        // Another process sequenced this drop at the same moment: its pass counts, ours is not needed.
        if (error instanceof TryAgain || isRetryableConflict(error) || isUniqueViolation(error)) continue;
        throw error;
      }
    }
    return { stamped, more };
  }

  /** Leases due deliveries and sends them; returns how many it attempted. */
  async function deliverDue(): Promise<number> {
    let leased: LeasedDelivery[];
    try {
      leased = await repo.leaseDueDeliveries(db, owner, deliverBatch, schedule.leaseMs);
    } catch (error) {
      if (isRetryableConflict(error)) return 0; // another process leased the same rows first
      throw error;
    }
    // Sent at once; their outcomes recorded together, in one statement for the whole batch.
    const outcomes = await Promise.all(leased.map((delivery) => send(delivery)));
    const sent = outcomes.filter((o): o is { id: string; result: repo.AttemptResult } => o !== undefined);
    try {
      await repo.finishAttempts(db, owner, sent);
    } catch (error) {
      // Not recorded: the leases run out and these deliveries are sent again (at least once, never lost).
      log.warn({ err: error, deliveries: sent.length }, "delivery attempts not recorded");
    }
    return leased.length;
  }

  /** One attempt's outcome, or undefined when the database failed us mid-attempt (the lease runs out). */
  async function send(
    delivery: LeasedDelivery,
  ): Promise<{ id: string; result: repo.AttemptResult } | undefined> {
    try {
      const result = delivery.kind === "webhook" ? await sendWebhook(delivery) : await sendEmail(delivery);
      return { id: delivery.id, result };
    } catch (error) {
      log.warn({ err: error, delivery: delivery.id }, "delivery attempt not recorded");
      return undefined;
    }
  }

  async function attempt(delivery: LeasedDelivery): Promise<void> {
    try {
      const result = delivery.kind === "webhook" ? await sendWebhook(delivery) : await sendEmail(delivery);
      await repo.finishAttempt(db, delivery.id, owner, result);
    } catch (error) {
      // The database failed us mid-attempt: the lease runs out and the delivery is tried again.
      log.warn({ err: error, delivery: delivery.id }, "delivery attempt not recorded");
    }
  }

  function failure(
    delivery: LeasedDelivery,
    fields: { httpStatus?: number; error: string },
  ): repo.AttemptResult {
    const retryInMs = retryDelay(schedule, delivery.attempts + 1, random);
    return retryInMs === undefined
      ? { status: "failed", ...fields }
      : { status: "pending", retryInMs, ...fields };
  }

  async function sendWebhook(delivery: LeasedDelivery): Promise<repo.AttemptResult> {
    const endpoint = delivery.endpointId ? await repo.signingEndpoint(db, delivery.endpointId) : undefined;
    if (!endpoint) return { status: "failed", error: "The endpoint was deleted." };
    if (endpoint.disabledAt)
      return { status: "failed", error: `The endpoint is disabled: ${endpoint.disabledReason}` };
    let httpStatus: number;
    try {
      httpStatus = await postWebhook(
        endpoint.url,
        { id: delivery.event.id, body: webhookPayload(delivery.event) },
        endpoint.secrets,
        {
          allowPrivate: deps.allowPrivate,
          timeoutMs: schedule.requestTimeoutMs,
          ...(deps.resolve ? { resolve: deps.resolve } : {}),
        },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const disabled = await repo.endpointFailed(db, endpoint.id, undefined, schedule.disableAfterMs);
      return disabled ? { status: "failed", error: message } : failure(delivery, { error: message });
    }
    if (httpStatus >= 200 && httpStatus < 300) {
      await repo.endpointSucceeded(db, endpoint.id);
      return { status: "delivered", httpStatus };
    }
    const gone = httpStatus === 410 ? "The endpoint answered 410 Gone." : undefined;
    const disabled = await repo.endpointFailed(db, endpoint.id, gone, schedule.disableAfterMs);
    const error = `HTTP ${httpStatus}`;
    return disabled ? { status: "failed", httpStatus, error } : failure(delivery, { httpStatus, error });
  }

  async function sendEmail(delivery: LeasedDelivery): Promise<repo.AttemptResult> {
    const template = delivery.target.slice("email:".length) as EmailTemplate;
    const { event } = delivery;
    const to = delivery.recipient;
    if (!to || !event.dropId || !event.orderId) return { status: "skipped", error: "no recipient" };
    const context = await repo.mailContext(db, event.dropId, event.orderId);
    if (!context) return { status: "skipped", error: "the drop is gone" };
    if (template === "reminder" && !context.stillHeld) return { status: "skipped", error: "no longer held" };
    if (!isReceipt(template) && (await repo.isSuppressed(db, to))) {
      return { status: "skipped", error: "unsubscribed" };
    }
    const unsubscribe = isReceipt(template) ? undefined : await deps.links.unsubscribe(to);
    const email = renderEmail(template, event, context, {
      receipt: await deps.links.receipt(context.slug, event.orderId),
      unsubscribe,
    });
    const headers: Record<string, string> = unsubscribe
      ? { "List-Unsubscribe": `<${unsubscribe}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" }
      : {};
    try {
      await deps.mailer.send({ deliveryId: delivery.id, to, fromName: context.shopName, ...email, headers });
    } catch (error) {
      return failure(delivery, { error: error instanceof Error ? error.message : String(error) });
    }
    return { status: "delivered" };
  }

  /** One tick: sequence, then deliver what is due. */
  async function tick(): Promise<{ stamped: number; delivered: number; more: boolean }> {
    const { stamped, more } = await sequence();
    const delivered = await deliverDue();
    return { stamped, delivered, more: more || delivered >= deliverBatch };
  }

  return {
    tick,
    sequence,
    deliverDue,

    /** Ticks until a tick finds nothing to do now (tests; a backlog at start-up). */
    async runUntilIdle(maxTicks = 10_000): Promise<void> {
      for (let i = 0; i < maxTicks; i++) {
        const done = await tick();
        if (done.stamped === 0 && done.delivered === 0) return;
      }
    },

    /** Sends one delivery now (a test ping, a replay), unless another process holds it; true when attempted. */
    async sendNow(deliveryId: string): Promise<boolean> {
      const leased = await repo.leaseDelivery(db, deliveryId, owner, schedule.leaseMs);
      if (!leased) return false;
      await attempt(leased);
      return true;
    },

    /**
     * Ticks every `intervalMs` until stopped; a tick never overlaps the previous one, a tick with more work
     * waiting is followed at once, and a failed tick is logged and tried again. While the process is selling
     * (`purchasing`), ticks wait up to `busyEveryMs` and a backlog waits for the next tick: the purchase path
     * keeps the CPU, and what was sold is announced at full pace once the selling stops.
     */
    start(intervalMs: number): { stop: () => void } {
      const busyEveryMs = deps.busyEveryMs ?? Math.max(4 * intervalMs, 2000);
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let lastTick = performance.now();
      const schedule = (ms: number) => {
        if (stopped) return;
        timer = setTimeout(loop, ms);
        timer.unref();
      };
      const loop = async () => {
        if (purchasing() && performance.now() - lastTick < busyEveryMs) {
          schedule(intervalMs);
          return;
        }
        lastTick = performance.now();
        let again = false;
        try {
          again = (await tick()).more;
        } catch (error) {
          log.warn({ err: error }, "message dispatch failed");
        }
        schedule(again && !purchasing() ? 0 : intervalMs);
      };
      schedule(intervalMs);
      return {
        stop: () => {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}
