import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "../config";
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
  /** Human-readable lines through pino-pretty (a dev dependency); only honoured on a terminal. */
  pretty?: boolean;
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
  if (options.pretty && process.stdout.isTTY) {
    return pino({ ...settings, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return pino(settings);
}
