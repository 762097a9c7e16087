import type { DropStatus } from "../../src/domain/types";

/**
 * A drop's state as the fan page shows it. Pause and cancel belong to the drop lifecycle (built
 * separately); the page renders them whenever the drop's props say so.
 */
export type FanStatus = DropStatus | "paused" | "cancelled";

export const BADGE: Record<FanStatus, string> = {
  upcoming: "Upcoming",
  live: "Live",
  sold_out: "Sold out",
  paused: "Paused",
  cancelled: "Cancelled",
};

/**
 * Whether "Last N!" is true to say: ten or fewer left, and no more than a quarter of the drop. A drop of
 * 12 is not down to its last units after two sales; a drop of 1,000 is at 10.
 */
export const isLastFew = (remaining: number, quantity: number): boolean =>
  remaining > 0 && remaining <= 10 && remaining <= quantity / 4;

/** The milestone a fan should hear about, or undefined while nothing is pressing. */
export function urgencyOf(remaining: number, quantity: number): "last" | "half" | undefined {
  if (remaining <= 0) return undefined;
  if (isLastFew(remaining, quantity)) return "last";
  if (remaining <= quantity / 2) return "half";
  return undefined;
}
