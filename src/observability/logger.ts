import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel, LogLines } from "../config";
import { readableDestination } from "./readable-lines";
import { currentRequest } from "./request-context";
import { safeError } from "./safe-error";

export type { Logger };

/**
 * Fields that hold secrets, wherever a log call puts them (up to two levels deep): their values are replaced
 * by "[redacted]". Nothing here logs request headers or bodies at all; this is the second line of defence.
 * See https://getpino.io/#/docs/redaction
 */
const SECRET_FIELDS = [
  "password",
  "passwordHash",
  "apiKey",
  "apiKeyHash",
  "token",
  "sessionToken",
  "csrfToken",
  "authorization",
  "cookie",
  "params",
  "detail",
];
export const REDACTED_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

export interface LoggerOptions {
  level: LogLevel;
  /** `readable` lines for people, `json`, or `auto`: readable when standard output is a terminal. JSON when absent. */
  lines?: LogLines;
  /** Where lines go; standard output when absent. Tests pass a stream that collects them. */
  destination?: DestinationStream;
}

/**
 * The process's structured logger: one JSON object per line with `level`, `time`, `msg`, the `reqId` of
 * the request being served (if any), and errors as `err` reduced to safe fields (see `safeError`).
 * @example const log = createLogger({ level: "info" }); log.info({ port: 3000 }, "listening")
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings: pino.LoggerOptions = {
    level: options.level,
    base: undefined,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    serializers: { err: safeError },
    mixin() {
      const request = currentRequest();
      return request === undefined ? {} : { reqId: request.id };
    },
  };
  if (options.destination) return pino(settings, options.destination);
  const readable = options.lines === "readable" || (options.lines === "auto" && process.stdout.isTTY);
  if (readable) return pino(settings, readableDestination());
  return pino(settings);
}
