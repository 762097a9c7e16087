/**
 * Domain errors: what went wrong in the shop's own words. HTTP statuses are chosen once, in
 * src/http/error-response.ts; nothing here knows about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class SoldOut extends DomainError {
  readonly code = "sold_out";
  constructor() {
    super("Sold out: every unit of this drop is taken.");
  }
}

export class NotLive extends DomainError {
  readonly code = "not_live";
  constructor(readonly startsAt: Date) {
    super(`Not live yet: the drop starts at ${startsAt.toISOString()}.`);
  }
}

export class LimitReached extends DomainError {
  readonly code = "limit_reached";
  constructor(readonly maxPerFan: number) {
    super(`Limit reached: at most ${maxPerFan} per fan.`);
  }
}

/** Contention outlasted the retry budget. Never reported as sold out: the buyer should try again. */
export class Busy extends DomainError {
  readonly code = "busy";
  constructor(readonly retryAfterSeconds = 1) {
    super("Busy: too many buyers at once, please retry.");
  }
}

export class NotFound extends DomainError {
  readonly code = "not_found";
  constructor(what = "resource") {
    super(`No such ${what}.`);
  }
}

export class Unauthorized extends DomainError {
  readonly code = "unauthorized";
  constructor(message = "A valid API key is required (Authorization: Bearer <key>).") {
    super(message);
  }
}

/** Too many wrong passwords for one account lately; it may try again after `retryAfterSeconds`. */
export class TooManyAttempts extends DomainError {
  readonly code = "too_many_attempts";
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many sign-in attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`);
  }
}

export class EmailTaken extends DomainError {
  readonly code = "email_taken";
  constructor() {
    super("A seller with this email already exists.");
  }
}

export interface FieldIssue {
  path: string;
  message: string;
}

export class InvalidInput extends DomainError {
  readonly code = "invalid";
  constructor(readonly issues: FieldIssue[]) {
    super(
      issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join("; ") ||
        "Invalid input.",
    );
  }
}

/** A seller's Stress Test is still running: one at a time, so two never compete for the same server. */
export class StressTestRunning extends DomainError {
  readonly code = "stress_test_running";
  constructor(readonly testId: string | undefined) {
    super("A Stress Test is already running for your shop. Wait for its receipt, or cancel it, first.");
  }
}

/** A Stress Test cannot start in this process right now; the message says why. */
export class StressTestUnavailable extends DomainError {
  readonly code = "stress_test_unavailable";
}

/** An uploaded picture bigger than the shop accepts. */
export class ImageTooLarge extends DomainError {
  readonly code = "image_too_large";
  constructor(readonly maxBytes: number) {
    super(`The picture is larger than ${Math.round(maxBytes / (1024 * 1024))} MB. Choose a smaller one.`);
  }
}
