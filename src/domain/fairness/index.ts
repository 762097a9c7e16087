/** Fairness (issue 17): draw drops and waitlists, one queue and one offer engine (docs/draws.md). */
export {
  createFairness,
  DRAW_FORMULA,
  DRAW_GRACE_SECONDS,
  type DrawRecord,
  type DrawTerms,
  type EntryStatus,
  type Fairness,
} from "./fairness";
export { commitmentOf, rankEntries, scoreOf, verifyDraw, type PublishedDraw } from "./draw-ranking";
