import type { DropStatus } from "../../src/domain/types";

/**
 * A drop's state as the fan page shows it. Pause and cancel belong to the drop lifecycle (built
 * separately); the page renders them whenever the drop's props say so.
 */
export type FanStatus = DropStatus | "paused" | "cancelled";

export const BADGE: Record<FanStatus, string> = {
  upcoming: "Starts in",
  live: "Live",
  sold_out: "Sold out",
  paused: "Paused",
  cancelled: "Cancelled",
};

/** The milestone a fan should hear about, or undefined while nothing is pressing. */
export function urgencyOf(remaining: number, quantity: number): "last" | "half" | undefined {
  if (remaining <= 0) return undefined;
  if (remaining <= 10 && quantity > 10) return "last";
  if (remaining <= quantity / 2) return "half";
  return undefined;
}
