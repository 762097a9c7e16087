import type { Database } from "../../db/database";
import * as repo from "../../repository";
import { InvalidInput, StressQuotaReached } from "../errors";
import type { StressLimits } from "./stress-limits";

const number = (n: number) => n.toLocaleString("en-US");

/**
 * Refuses settings above this server's per-run limits (the form checks the same; this holds for any caller).
 * @example checkStressSettings({ attempts: 20_001, concurrency: 5 }, stressLimitsFor("pglite")) // throws InvalidInput
 */
export function checkStressSettings(
  settings: { attempts: number; concurrency: number },
  limits: Pick<StressLimits, "maxAttempts" | "maxConcurrency">,
): void {
  const issues = [];
  if (settings.attempts > limits.maxAttempts) {
    issues.push({ path: "attempts", message: `at most ${number(limits.maxAttempts)} on this server` });
  }
  if (settings.concurrency > limits.maxConcurrency) {
    issues.push({ path: "concurrency", message: `at most ${number(limits.maxConcurrency)} on this server` });
  }
  if (issues.length > 0) throw new InvalidInput(issues);
}

/**
 * Refuses a run past the seller's quotas, with the reason and when it frees up. Counted from the
 * stress_tests rows, so runs started by any process of the shop count.
 * @example await checkStressQuota(db, seller.id, 5000, limits) // throws StressQuotaReached past a quota
 */
export async function checkStressQuota(
  db: Database,
  sellerId: string,
  attempts: number,
  limits: Pick<StressLimits, "runsPerHour" | "attemptsPerDay">,
): Promise<void> {
  const usage = await repo.stressUsage(db, sellerId);
  if (usage.runsLastHour >= limits.runsPerHour) {
    throw new StressQuotaReached(
      `You have started ${number(usage.runsLastHour)} Stress Tests in the last hour, the most this server allows (${number(limits.runsPerHour)} an hour). The next one can start in ${Math.ceil(usage.hourFreesInSeconds / 60)} minute(s).`,
      usage.hourFreesInSeconds,
    );
  }
  if (usage.attemptsLastDay + attempts > limits.attemptsPerDay) {
    const left = Math.max(0, limits.attemptsPerDay - usage.attemptsLastDay);
    throw new StressQuotaReached(
      `Your Stress Tests may send ${number(limits.attemptsPerDay)} purchase attempts a day; ${number(usage.attemptsLastDay)} were used in the last 24 hours, so at most ${number(left)} are left now. Choose fewer attempts, or wait.`,
      usage.dayFreesInSeconds,
    );
  }
}
