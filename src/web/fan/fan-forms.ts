import { randomUUID } from "node:crypto";
import * as v from "valibot";
import type { PurchaseState } from "../../../views/fan/purchase";
import {
  Busy,
  Cancelled,
  type DomainError,
  type InvalidInput,
  LimitReached,
  NotLive,
  Paused,
  SoldOut,
  UnknownVariant,
  VariantRequired,
} from "../../domain/errors";
import type { Drop } from "../../domain/types";
import { fanIdentity, IdempotencyKey, VariantRef } from "../../http/schemas";

const fanMessage = "Enter your email or handle";

/** The drop page's buy form. `retry` counts busy answers in a row, so automatic re-posts back off. */
export const BuyFormSchema = v.object({
  fan: fanIdentity(fanMessage, "Keep it to 200 characters or fewer"),
  idempotencyKey: IdempotencyKey,
  /** The size picked (a variant's id or name); required by the shop on a drop of several. */
  variant: v.optional(VariantRef),
  retry: v.pipe(
    v.optional(v.string(), "0"),
    v.regex(/^\d{1,2}$/, "retry must be a small whole number"),
    v.transform(Number),
  ),
});

export type BuyForm = v.InferOutput<typeof BuyFormSchema>;

/** Busy answers in a row after which the page stops re-posting by itself and leaves it to the fan. */
export const MAX_AUTO_RETRIES = 8;
/** Go-live this close is waited for by re-posting at go-live, instead of asking the fan to click again. */
export const AUTO_RETRY_BEFORE_LIVE_MS = 10_000;

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/**
 * The form again after a rejected submission: the fan's input is kept; the idempotency key is kept when
 * usable, else replaced (nothing can have been bought with an unusable key).
 */
export function invalidState(raw: Record<string, unknown>, error: InvalidInput): PurchaseState {
  const keyOk = v.is(IdempotencyKey, raw.idempotencyKey);
  const fanIssue = error.issues.find((issue) => issue.path === "fan");
  const otherIssue = error.issues.find((issue) => issue.path !== "fan");
  return {
    kind: "invalid",
    fan: text(raw.fan).slice(0, 200),
    idempotencyKey: keyOk ? text(raw.idempotencyKey) : randomUUID(),
    fanError: fanIssue?.message,
    formError: otherIssue
      ? keyOk
        ? `Something in the form was off (${otherIssue.message}). Please submit again.`
        : "This form had expired. Please submit again."
      : undefined,
  };
}

/**
 * The buy box after the shop turned a purchase down. `serverTime` is the database clock, read only when
 * the answer is "not live yet" and needs the time left.
 */
export async function rejectedState(
  error: DomainError,
  drop: Drop,
  form: BuyForm,
  serverTime: () => Promise<Date>,
  random: () => number = Math.random,
): Promise<PurchaseState | undefined> {
  // One size sold out, or none picked: the form again, the fan's input and key kept, to pick (another) size.
  const pickAgain = (formError: string): PurchaseState => ({
    kind: "invalid",
    fan: form.fan,
    idempotencyKey: form.idempotencyKey,
    fanError: undefined,
    formError,
  });
  if (error instanceof SoldOut && error.variant !== undefined)
    return pickAgain(`${error.variant} just sold out. Pick another size.`);
  if (error instanceof VariantRequired) return pickAgain("Pick a size.");
  if (error instanceof UnknownVariant) return pickAgain("That size is not on sale here. Pick another size.");
  if (error instanceof SoldOut) return { kind: "sold_out", quantity: drop.quantity };
  if (error instanceof LimitReached) return { kind: "limit_reached", maxPerFan: error.maxPerFan };
  // Paused or cancelled after the fan's page loaded: a pause may lift, so the form (and its key) stays.
  if (error instanceof Paused) return { kind: "paused", fan: form.fan, idempotencyKey: form.idempotencyKey };
  if (error instanceof Cancelled) return { kind: "cancelled" };
  if (error instanceof Busy) {
    // Exponential backoff from the server's Retry-After, capped, with jitter so a crowd spreads out.
    const base = Math.min(8000, error.retryAfterSeconds * 1000 * 2 ** form.retry);
    const delay = Math.round(base * (0.75 + 0.25 * random()));
    return {
      kind: "busy",
      fan: form.fan,
      idempotencyKey: form.idempotencyKey,
      retry: form.retry + 1,
      autoRetryMs: form.retry < MAX_AUTO_RETRIES ? delay : undefined,
    };
  }
  if (error instanceof NotLive) {
    const startsInMs = error.startsAt.getTime() - (await serverTime()).getTime();
    return {
      kind: "not_live",
      fan: form.fan,
      idempotencyKey: form.idempotencyKey,
      startsInMs,
      // A little after go-live, so the re-post lands when the database already says live.
      autoRetryMs: startsInMs <= AUTO_RETRY_BEFORE_LIVE_MS ? Math.max(0, startsInMs) + 250 : undefined,
    };
  }
  return undefined;
}
