import type { Database } from "../../db/database";
import * as repo from "../../repository";
import type { Drop } from "../types";

/** The seller's view of a drop's fairness (issue 17 §5): verified buyers and notify-me signups. */
export interface FairnessSummary {
  verifiedFans: boolean;
  /** Distinct fans holding or having bought a unit (on a verified drop, each a verified address). */
  buyers: number;
  signups: number;
  confirmed: number;
  notified: number;
}

export async function fairnessSummary(db: Database, drop: Drop): Promise<FairnessSummary> {
  return { verifiedFans: drop.verifiedFans, ...(await repo.fairnessCounts(db, drop.id)) };
}
