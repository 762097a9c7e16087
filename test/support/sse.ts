/** Server-sent events read from a response body, for tests of the live counter. */
export interface SseEvent {
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** Reads a text/event-stream body event by event. */
export function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    /** The next event, or undefined when the server ended the stream. */
    async next(): Promise<SseEvent | undefined> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split("\n")) {
            const [field, ...rest] = line.split(":");
            const value = rest.join(":").replace(/^ /, "");
            if (field === "") event.comment = value;
            else if (field === "data")
              event.data = event.data === undefined ? value : `${event.data}\n${value}`;
            else if (field === "event" || field === "retry") event[field] = value;
          }
          return event;
        }
        const { done, value } = await reader.read();
        if (done) return undefined;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}
