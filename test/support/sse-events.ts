/** One Server-Sent Event as a test reads it back. */
export interface StreamEvent {
  event: string;
  data: string;
}

/**
 * Splits a finished Server-Sent Events body into its events (comments and retry lines dropped).
 * @example parseEvents(await (await fetch(url)).text()).at(-1) // { event: "soldout", data: "…" }
 */
export function parseEvents(text: string): StreamEvent[] {
  return text
    .split("\n\n")
    .map((block) => {
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "";
      const data = lines
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      return { event, data };
    })
    .filter((e) => e.event !== "");
}
