import type { DestinationStream } from "pino";

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO ",
  40: "WARN ",
  50: "ERROR",
  60: "FATAL",
};

/** A field's value as it reads best on one line: text as is, anything else as compact JSON. */
function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * One pino JSON line as a person reads it: `12:00:03 INFO  msg key=value …` (time of day in UTC, the
 * message, then the other fields; an error as `err=Type: message`). A line that is not JSON passes as is.
 * @example readableLine('{"level":30,"time":0,"msg":"hi","port":3000}') // "00:00:00 INFO  hi port=3000"
 */
export function readableLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const { level, time, msg, err, ...fields } = entry;
  const clock = typeof time === "number" ? new Date(time).toISOString().slice(11, 19) : "";
  const parts = [clock, LEVELS[level as number] ?? String(level), show(msg ?? "")];
  if (err && typeof err === "object") {
    const { type, message } = err as { type?: string; message?: string };
    parts.push(`err=${type ?? "Error"}: ${message ?? ""}`);
  }
  for (const [key, value] of Object.entries(fields)) parts.push(`${key}=${show(value)}`);
  return parts.filter((part) => part !== "").join(" ");
}

/**
 * A pino destination that writes readable lines (see `readableLine`) to `out`: what `npm start` shows on a
 * terminal. Written here rather than with pino-pretty, which is a development dependency and absent from
 * a production install (`npm ci --omit=dev`).
 */
export function readableDestination(
  out: { write(text: string): unknown } = process.stdout,
): DestinationStream {
  return { write: (line: string) => void out.write(`${readableLine(line)}\n`) };
}
