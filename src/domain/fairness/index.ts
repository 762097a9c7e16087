/**
 * Fairness (issue 17): verified fans and notify-me; draw drops and waitlists, one queue and one offer engine
 * (docs/draws.md). The web and HTTP layers import the capability here.
 */

export { commitmentOf, type PublishedDraw, rankEntries, scoreOf, verifyDraw } from "./draw-ranking";
export {
  createFairness,
  DRAW_FORMULA,
  DRAW_GRACE_SECONDS,
  type DrawRecord,
  type DrawTerms,
  type EntryStatus,
  type Fairness,
} from "./fairness";
export { createNotifyMe, type NotifyMe } from "./notify-me";
export { type FairnessSummary, fairnessSummary } from "./summary";
export {
  CODE_MAX_TRIES,
  CODE_TTL_MS,
  createVerifiedFans,
  FAN_TOKEN_SECRET,
  type FanSession,
  SEND_WINDOW_MS,
  SENDS_PER_ADDRESS,
  SENDS_PER_CLIENT,
  signFanToken,
  TOKEN_TTL_MS,
  type VerifiedFan,
  type VerifiedFans,
} from "./verified-fans";
