import { type Context, Hono } from "hono";
import { StressTestPage, stressBase } from "../../../views/seller/stress-card";
import { StressRunPage } from "../../../views/seller/stress-run";
import { NotFound, StressQuotaReached, StressTestRunning, StressTestUnavailable } from "../../domain/errors";
import type { Shop } from "../../domain/shop";
import type { StressLimits } from "../../domain/stress-test";
import { defaultStressSettings, type StressTests } from "../../domain/stress-test";
import type { Drop, Seller } from "../../domain/types";
import { retryAfterOf, statusFor } from "../../http/error-response";
import { DropRef } from "../../http/schemas";
import { parseWith } from "../../http/validation";
import { checkedForm } from "../csrf";
import { requireSeller, type SellerEnv } from "../session";
import { shellOf } from "./seller-auth-routes";
import { parseStressSettings } from "./seller-stress-forms";
import { type StressStreamOptions, stressStream } from "./seller-stress-stream";

function dropRef(c: Context): string {
  try {
    return parseWith(DropRef, c.req.param("ref"));
  } catch {
    throw new NotFound("drop");
  }
}

/**
 * The form's starting values: five attempts per unit, 200 at a time, within the server's limits, spread over
 * about 15 seconds so the seller can watch the race.
 */
export function stressFormDefaults(drop: Drop, limits?: StressLimits): Record<string, string> {
  const settings = defaultStressSettings(drop.quantity, limits);
  return { attempts: String(settings.attempts), concurrency: String(settings.concurrency), pace: "watch" };
}

/**
 * The Stress Test pages under a drop: start one (POST-redirect-GET to its page), watch it live (its page
 * and event stream), cancel it, read its receipt. Only the drop's owner gets anything but "not found".
 */
export function sellerStressRoutes(shop: Shop, tests: StressTests, streamOptions: StressStreamOptions = {}) {
  const routes = new Hono<SellerEnv>();
  routes.use("/seller/drops/:ref/stress", requireSeller);
  routes.use("/seller/drops/:ref/stress/*", requireSeller);
  const sellerOf = (c: Context<SellerEnv>): Seller => c.var.seller!;

  async function formPage(
    c: Context<SellerEnv>,
    drop: Drop,
    form: { values: Record<string, string>; errors: Record<string, string> },
    problem?: { error: StressTestRunning | StressQuotaReached | StressTestUnavailable },
  ) {
    const status = problem ? statusFor(problem.error) : Object.keys(form.errors).length ? 400 : 200;
    const retryAfter = problem && retryAfterOf(problem.error);
    if (retryAfter !== undefined) c.header("Retry-After", String(retryAfter));
    c.header("Cache-Control", "no-store");
    return c.html(
      <StressTestPage
        {...shellOf(c)}
        drop={drop}
        tests={await tests.list(drop)}
        values={form.values}
        errors={form.errors}
        limits={tests.limits}
        problem={problem?.error.message}
        runningId={problem?.error instanceof StressTestRunning ? problem.error.testId : undefined}
      />,
      status,
    );
  }

  routes.get("/seller/drops/:ref/stress", async (c) => {
    const drop = await shop.findOwnDrop(sellerOf(c), dropRef(c));
    return formPage(c, drop, { values: stressFormDefaults(drop, tests.limits), errors: {} });
  });

  routes.post("/seller/drops/:ref/stress", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    const drop = await shop.findOwnDrop(sellerOf(c), dropRef(c));
    const values = {
      attempts: form.attempts ?? "",
      concurrency: form.concurrency ?? "",
      ...(form.pace === undefined ? {} : { pace: form.pace }),
    };
    const parsed = parseStressSettings(values, tests.limits);
    if (!parsed.ok) return formPage(c, drop, { values, errors: parsed.errors });
    try {
      const test = await tests.start(sellerOf(c), drop.id, parsed.value);
      return c.redirect(`${stressBase(drop)}/${test.id}`, 303);
    } catch (error) {
      // Refusals come back on the form, at once, with the reason: one at a time, a quota, the server's cap.
      const refused =
        error instanceof StressTestRunning ||
        error instanceof StressQuotaReached ||
        error instanceof StressTestUnavailable;
      if (!refused) throw error;
      return formPage(c, drop, { values, errors: {} }, { error });
    }
  });

  routes.get("/seller/drops/:ref/stress/:id", async (c) => {
    const { drop, test } = await tests.find(sellerOf(c), dropRef(c), c.req.param("id"));
    c.header("Cache-Control", "no-store");
    return c.html(
      <StressRunPage {...shellOf(c)} drop={drop} test={test} progress={tests.live(test.id)?.progress()} />,
    );
  });

  routes.get("/seller/drops/:ref/stress/:id/events", async (c) => {
    const { test } = await tests.find(sellerOf(c), dropRef(c), c.req.param("id"));
    return stressStream(c, test, tests.live(test.id), streamOptions);
  });

  routes.post("/seller/drops/:ref/stress/:id/cancel", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const { drop, test } = await tests.cancel(sellerOf(c), dropRef(c), c.req.param("id"));
    return c.redirect(`${stressBase(drop)}/${test.id}`, 303);
  });

  return routes;
}
