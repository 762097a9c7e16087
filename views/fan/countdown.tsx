/**
 * "02:05:09" until go-live: days when far away, hours when needed, never negative. static/drop.js keeps
 * a copy of this function to tick the same text on the fan's phone.
 * @example formatCountdown(65_000) // "01:05"
 */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${two(hours)}:${two(minutes)}:${two(seconds)}`;
  if (hours > 0) return `${two(hours)}:${two(minutes)}:${two(seconds)}`;
  return `${two(minutes)}:${two(seconds)}`;
}

/** "Tue, 1 Dec 2026, 18:00 UTC": the page is rendered in UTC; drop.js shows the fan's local time. */
export function formatStartsAt(startsAt: Date): string {
  return `${startsAt.toLocaleString("en-GB", {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  })} UTC`;
}

export interface CountdownProps {
  startsAt: Date;
  /** The database clock when the page was made; drop.js corrects the phone's clock by it. */
  serverTime: Date;
}

/**
 * Time left to go-live. Not a live region: a ticking clock read aloud every second helps nobody; the
 * page announces go-live once, through #announcer.
 */
export function Countdown({ startsAt, serverTime }: CountdownProps) {
  const live = serverTime >= startsAt;
  return (
    <p
      id="countdown"
      class="countdown"
      role="timer"
      data-starts-at={startsAt.toISOString()}
      data-server-time={serverTime.toISOString()}
    >
      {live ? (
        <span class="countdown-label">Live now</span>
      ) : (
        <>
          <span class="countdown-label">Buying opens in</span>{" "}
          <b class="countdown-clock">{formatCountdown(startsAt.getTime() - serverTime.getTime())}</b>
        </>
      )}
    </p>
  );
}
