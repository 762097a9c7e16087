import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  Busy,
  Cancelled,
  CardDeclined,
  CodeExpired,
  CodeInvalid,
  DomainError,
  DrawOnly,
  DrawState,
  DrawTermsBroken,
  DropLive,
  EmailTaken,
  EntriesClosed,
  FanUnverified,
  HoldExpired,
  IdempotencyKeyReused,
  ImageTooLarge,
  InvalidInput,
  LimitReached,
  NotFound,
  NotLive,
  OrderNotPayable,
  OrderStateConflict,
  Paused,
  RateLimited,
  SoldOut,
  StressQuotaReached,
  StressTestRunning,
  StressTestUnavailable,
  TooManyAttempts,
  Unauthorized,
  UnitsAvailable,
  UnknownVariant,
  VariantBelowSold,
  VariantHasOrders,
  VariantRequired,
} from "../domain/errors";

/** Errors that only exist at the HTTP edge. */
export class PayloadTooLarge extends DomainError {
  readonly code = "payload_too_large";
  constructor(readonly maxBytes: number) {
    super(`Request body larger than ${maxBytes} bytes.`);
  }
}

export class UnsupportedMediaType extends DomainError {
  readonly code = "unsupported_media_type";
  constructor(expected: string) {
    super(`Content-Type must be ${expected}.`);
  }
}

/** A form post that did not come from our own page (CSRF): wrong origin or missing/wrong token. */
export class Forbidden extends DomainError {
  readonly code = "forbidden";
}

/** The one place a domain error becomes an HTTP status. */
export function statusFor(error: DomainError): ContentfulStatusCode {
  if (error instanceof InvalidInput) return 400;
  if (error instanceof Unauthorized || error instanceof FanUnverified) return 401;
  if (error instanceof Forbidden) return 403;
  if (error instanceof NotFound) return 404;
  if (error instanceof SoldOut || error instanceof NotLive || error instanceof LimitReached) return 409;
  if (error instanceof EmailTaken || error instanceof StressTestRunning) return 409;
  if (error instanceof Paused || error instanceof Cancelled || error instanceof DropLive) return 409;
  if (error instanceof HoldExpired || error instanceof OrderNotPayable) return 409;
  if (error instanceof DrawOnly || error instanceof EntriesClosed) return 409;
  if (error instanceof UnitsAvailable || error instanceof DrawState) return 409;
  if (error instanceof OrderStateConflict) return 409;
  if (error instanceof VariantHasOrders || error instanceof VariantBelowSold) return 409;
  if (error instanceof CardDeclined) return 402;
  if (error instanceof PayloadTooLarge) return 413;
  if (error instanceof ImageTooLarge) return 413;
  if (error instanceof IdempotencyKeyReused || error instanceof DrawTermsBroken) return 422;
  if (error instanceof CodeInvalid || error instanceof CodeExpired) return 422;
  if (error instanceof VariantRequired || error instanceof UnknownVariant) return 422;
  if (error instanceof TooManyAttempts || error instanceof RateLimited || error instanceof StressQuotaReached)
    return 429;
  if (error instanceof UnsupportedMediaType) return 415;
  if (error instanceof Busy || error instanceof StressTestUnavailable) return 503;
  return 400;
}

/** Seconds a client should wait before trying again, for the errors that come with such a wait. */
export function retryAfterOf(error: DomainError): number | undefined {
  if (error instanceof StressQuotaReached || error instanceof StressTestUnavailable)
    return error.retryAfterSeconds;
  return error instanceof Busy || error instanceof TooManyAttempts || error instanceof RateLimited
    ? error.retryAfterSeconds
    : undefined;
}

/** Extra fields a client needs to act on the error. */
function detailsOf(error: DomainError): Record<string, unknown> {
  if (error instanceof InvalidInput || error instanceof DrawTermsBroken) return { issues: error.issues };
  if (error instanceof NotLive) return { startsAt: error.startsAt.toISOString() };
  if (error instanceof LimitReached) return { maxPerFan: error.maxPerFan };
  if (error instanceof SoldOut && error.variant !== undefined) return { variant: error.variant };
  if (error instanceof VariantRequired || error instanceof UnknownVariant)
    return { variants: error.variants };
  if (error instanceof VariantHasOrders) return { variant: error.variant };
  if (error instanceof VariantBelowSold) return { variant: error.variant, sold: error.sold };
  if (error instanceof HoldExpired) return { refunded: error.refunded };
  if (error instanceof OrderNotPayable || error instanceof OrderStateConflict)
    return { status: error.status };
  if (error instanceof CodeInvalid) return { triesLeft: error.triesLeft };
  const retryAfter = retryAfterOf(error);
  return retryAfter === undefined ? {} : { retryAfter };
}

export function errorJson(c: Context, error: DomainError): Response {
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
  if (error instanceof Unauthorized) c.header("WWW-Authenticate", 'Bearer realm="dropfront"');
  return c.json(
    { error: { code: error.code, message: error.message, ...detailsOf(error) } },
    statusFor(error),
  );
}
