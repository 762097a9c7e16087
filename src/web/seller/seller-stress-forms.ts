import * as v from "valibot";
import {
  STRESS_LIMITS,
  STRESS_PACES,
  type StressLimits,
  type StressSettings,
  stressLimitsFor,
} from "../../domain/stress-test";
import { formErrors, type Parsed } from "./seller-forms";

const WholeNumber = (label: string, min: number, max: number) =>
  v.pipe(
    v.string(`${label} is required`),
    v.trim(),
    v.minLength(1, `${label} is required`),
    v.regex(/^\d{1,7}$/, `${label} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${label} must be at least ${min.toLocaleString("en-US")}`),
    v.maxValue(max, `${label} must be at most ${max.toLocaleString("en-US")}`),
  );

type FormLimits = Pick<StressLimits, "maxAttempts" | "maxConcurrency">;

const stressForm = (limits: FormLimits) =>
  v.object({
    attempts: WholeNumber("purchase attempts", 1, limits.maxAttempts),
    concurrency: WholeNumber(
      "purchases at the same time",
      STRESS_LIMITS.minConcurrency,
      limits.maxConcurrency,
    ),
    // The form always sends one (watchable by default); a request without it (a script) runs flat out.
    pace: v.optional(v.picklist(STRESS_PACES, "choose how fast the run goes"), "fast"),
  });

/**
 * The Stress Test form's two numbers, or a message per field.
 * @example parseStressSettings({ attempts: "150", concurrency: "20", pace: "watch" }) // { ok: true, value: { attempts: 150, concurrency: 20, pace: "watch" } }
 */
export function parseStressSettings(
  form: Record<string, string | undefined>,
  limits: FormLimits = stressLimitsFor("postgres"),
): Parsed<StressSettings> {
  const result = v.safeParse(stressForm(limits), form);
  if (result.success) return { ok: true, value: result.output };
  const issues = result.issues.map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message }));
  return { ok: false, errors: formErrors(issues) };
}
