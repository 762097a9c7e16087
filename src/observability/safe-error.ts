/**
 * What of an error may go into a log. Database errors carry the statement's values: PGlite's errors have
 * `params` (the outside review saw a password hash and an API-key hash logged on a failed sign-up) and both
 * drivers put the offending key's value in `detail` ("Key (email)=(...) already exists"). So only named,
 * harmless fields are kept, never the object itself.
 */
export interface SafeError {
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  table?: string;
  /** Frames of our own code only: dependency and runtime frames say nothing the message does not. */
  stack?: string[];
  cause?: SafeError;
}

const MAX_MESSAGE = 300;
const MAX_FRAMES = 8;

/**
 * @example log.error({ err: safeError(error) }, "unexpected error")
 */
export function safeError(error: unknown, depth = 0): SafeError {
  if (!(error instanceof Error)) return { type: typeof error, message: "a non-Error value was thrown" };
  const fields = error as Error & { code?: unknown; constraint?: unknown; table?: unknown };
  const safe: SafeError = { type: error.name, message: error.message.slice(0, MAX_MESSAGE) };
  if (typeof fields.code === "string") safe.code = fields.code;
  if (typeof fields.constraint === "string") safe.constraint = fields.constraint;
  if (typeof fields.table === "string") safe.table = fields.table;
  const frames = ownFrames(error.stack);
  if (frames.length > 0) safe.stack = frames;
  if (error.cause !== undefined && depth < 2) safe.cause = safeError(error.cause, depth + 1);
  return safe;
}

function ownFrames(stack: string | undefined): string[] {
  return (stack ?? "")
    .split("\n")
    .filter((line) => /^\s+at /.test(line) && !/node_modules|node:|wasm:\/\/|<anonymous>/.test(line))
    .slice(0, MAX_FRAMES)
    .map((line) => line.trim().slice(3));
}
