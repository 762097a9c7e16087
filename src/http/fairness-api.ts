/**
 * The JSON API of draw drops and waitlists (issue 17 §2, §3; docs/draws.md): entering a draw, a fan's
 * status, the public draw record, and the waitlist of a sold-out first-come drop.
 *
 * The fan: `fanOf` is the one place a request names its fan. On a verified-fans drop (every draw drop is
 * one) it is the verified address of the Fan-Token header or cookie (fan-auth.ts), and a `fan` sent along is
 * ignored; on any other drop it is the `fan` field of the body, or `?fan=` where there is no body.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import * as v from "valibot";
import { DrawState, FanUnverified, InvalidInput, NotFound } from "../domain/errors";
import type { DrawTerms, EntryStatus, VerifiedFans } from "../domain/fairness";
import type { Shop } from "../domain/shop";
import type { Drop, Seller } from "../domain/types";
import { verifiedFan } from "./fan-auth";
import { answer, describe, jsonRequest, SELLER_AUTH } from "./openapi";
import { safeText } from "./safe-text";
import { DropRef, Fan } from "./schemas";
import { jsonBody, parseWith } from "./validation";

type Env = { Variables: { seller: Seller } };

const FanBody = v.object({ fan: Fan });
/** The public value a draw named, as the seller publishes it (API and console). */
export const PublicValueBody = v.object({
  value: v.pipe(
    v.string("value must be text"),
    safeText("value", "line"),
    v.trim(),
    v.minLength(1, "value is required"),
    v.maxLength(200),
  ),
});

const EntryJson = v.strictObject({ id: v.string(), status: v.string() });
const StatusJson = v.strictObject({
  status: v.picklist(["entered", "waiting", "won", "offered", "paid", "lapsed", "lost"]),
  position: v.optional(v.number()),
  orderId: v.optional(v.string()),
  orderToken: v.optional(v.string()),
  unitNo: v.optional(v.number()),
  expiresAt: v.optional(v.string()),
});
const DrawJson = v.strictObject({
  dropId: v.string(),
  units: v.number(),
  status: v.picklist(["open", "closed", "drawn"]),
  commitment: v.string(),
  committedAt: v.string(),
  entriesCloseAt: v.string(),
  publicValueSource: v.nullable(v.string()),
  publicValue: v.nullable(v.string()),
  seed: v.nullable(v.string()),
  drawnAt: v.nullable(v.string()),
  formula: v.string(),
  entries: v.array(v.string()),
  ranking: v.array(v.string()),
  offered: v.number(),
});
const StatsJson = v.strictObject({
  entries: v.number(),
  waiting: v.number(),
  offered: v.number(),
  held: v.number(),
  paid: v.number(),
  lapsed: v.number(),
});

const FAN_QUERY = {
  name: "fan",
  in: "query" as const,
  required: false,
  description:
    "the fan (email or handle) as they entered; on a verified-fans drop the Fan-Token header instead",
  schema: { type: "string" as const },
};
const FAN_TOKEN = {
  name: "fan-token",
  in: "header" as const,
  required: false,
  description:
    "a verified fan's token (POST /api/fans/sessions); required on verified-fans drops (every draw drop)",
  schema: { type: "string" as const },
};

/**
 * A new drop's draw terms from the create body, or undefined for a first-come drop. A draw needs a hold
 * (winners pay within it) and a close after go-live; the terms of a first-come drop may not name a draw's.
 */
export function drawTermsOf(
  shop: Shop,
  body: {
    sale?: "first_come" | "draw" | undefined;
    entriesCloseAt?: Date | undefined;
    drawPublicValue?: string | undefined;
    holdMinutes?: number | undefined;
    startsAt?: Date | undefined;
    verifiedFans?: boolean | undefined;
  },
): DrawTerms | undefined {
  if (body.sale !== "draw") {
    if (body.entriesCloseAt || body.drawPublicValue) {
      throw new InvalidInput([
        { path: "sale", message: 'entriesCloseAt and drawPublicValue need sale: "draw"' },
      ]);
    }
    return undefined;
  }
  const issues: { path: string; message: string }[] = [];
  if (!body.holdMinutes) {
    issues.push({
      path: "holdMinutes",
      message: "a draw drop needs holdMinutes (1-60): winners pay within it",
    });
  }
  if (!body.verifiedFans) {
    issues.push({
      path: "verifiedFans",
      message: "a draw drop needs verifiedFans: true (one entry per proven address)",
    });
  }
  if (!body.entriesCloseAt)
    issues.push({ path: "entriesCloseAt", message: "a draw drop needs entriesCloseAt" });
  else if (body.entriesCloseAt.getTime() <= (body.startsAt?.getTime() ?? shop.clock())) {
    issues.push({ path: "entriesCloseAt", message: "entriesCloseAt must be after startsAt" });
  }
  if (issues.length > 0 || !body.entriesCloseAt) throw new InvalidInput(issues);
  return shop.fairness.drawTerms(body.entriesCloseAt, body.drawPublicValue ?? null);
}

/**
 * The fan this request speaks for: the verified address on a verified-fans drop (401 `fan_unverified`
 * without a valid token), else the body's `fan`, or `?fan=` on a request without a body.
 */
async function fanOf(c: Context, drop: Drop, fans: VerifiedFans | undefined, from: "body" | "query") {
  if (drop.verifiedFans) {
    const verified = fans ? await verifiedFan(c, fans) : undefined;
    if (!verified) throw new FanUnverified();
    return verified.email;
  }
  if (from === "body") return parseWith(FanBody, await jsonBody(c)).fan;
  return parseWith(FanBody, { fan: c.req.query("fan") }).fan;
}

function dropRef(ref: string): string {
  if (!v.is(DropRef, ref)) throw new NotFound("drop");
  return ref;
}

const statusJson = (s: EntryStatus) => ({
  status: s.status,
  ...("position" in s ? { position: s.position } : {}),
  ...("orderId" in s ? { orderId: s.orderId } : {}),
  ...("orderToken" in s ? { orderToken: s.orderToken } : {}),
  ...("unitNo" in s ? { unitNo: s.unitNo } : {}),
  ...("expiresAt" in s ? { expiresAt: s.expiresAt.toISOString() } : {}),
});

export function fairnessApiRoutes(
  shop: Shop,
  requireSeller: MiddlewareHandler<Env>,
  fans: VerifiedFans | undefined,
) {
  const api = new Hono<Env>();
  const dropOf = async (c: Context) => shop.findDrop(dropRef(c.req.param("ref") ?? ""));

  api.post(
    "/drops/:ref/entries",
    describe(
      {
        summary: "Enter a draw drop (between go-live and entriesCloseAt); again answers the same entry",
        tags: ["draws"],
        parameters: [FAN_TOKEN],
        requestBody: jsonRequest(FanBody),
        responses: {
          201: answer("the new entry", v.strictObject({ entry: EntryJson })),
          200: answer("the fan's entry, made before", v.strictObject({ entry: EntryJson })),
        },
      },
      [400, 401, 404, 409, 413, 415, 503],
    ),
    async (c) => {
      const drop = await dropOf(c);
      const { entry, created } = await shop.fairness.enter(drop.id, await fanOf(c, drop, fans, "body"));
      return c.json({ entry }, created ? 201 : 200);
    },
  );

  api.get(
    "/drops/:ref/entries/me",
    describe(
      {
        summary:
          "A fan's draw entry: entered, won (holding a unit), waiting (position), paid, lapsed or lost",
        tags: ["draws"],
        parameters: [FAN_QUERY, FAN_TOKEN],
        responses: { 200: answer("the entry's status; a won entry carries its order and token", StatusJson) },
      },
      [400, 401, 404, 503],
    ),
    async (c) => {
      const drop = await dropOf(c);
      const status = await shop.fairness.entryStatus(drop.id, await fanOf(c, drop, fans, "query"));
      if (!status) throw new NotFound("entry");
      return c.json(statusJson(status));
    },
  );

  api.get(
    "/drops/:ref/draw",
    describe(
      {
        summary: "The public draw record: commitment, frozen entries, public value, seed and ranking",
        tags: ["draws"],
        responses: { 200: answer("the record; `npm run draw:verify -- <this url>` checks it", DrawJson) },
      },
      [404, 503],
    ),
    async (c) => {
      const drop = await dropOf(c);
      return c.json(await shop.fairness.drawRecord(drop.id, drop.quantity));
    },
  );

  api.post(
    "/drops/:ref/draw/public-value",
    describe(
      {
        summary: "Publish the public value the draw names (once, after the entry list froze)",
        tags: ["draws"],
        security: SELLER_AUTH,
        requestBody: jsonRequest(PublicValueBody),
        responses: { 200: answer("the draw record", DrawJson) },
      },
      [400, 401, 404, 409, 413, 415, 503],
    ),
    requireSeller,
    async (c) => {
      const drop = await shop.findOwnDrop(c.var.seller, dropRef(c.req.param("ref")));
      const { value } = parseWith(PublicValueBody, await jsonBody(c));
      await shop.fairness.setPublicValue(drop.id, value);
      return c.json(await shop.fairness.drawRecord(drop.id, drop.quantity));
    },
  );

  api.post(
    "/drops/:ref/draw/open-leftovers",
    describe(
      {
        summary: "After the ranking ran out, sell the leftover units first-come",
        tags: ["draws"],
        security: SELLER_AUTH,
        responses: { 200: answer("the draw record", DrawJson) },
      },
      [401, 404, 409, 503],
    ),
    requireSeller,
    async (c) => {
      const drop = await shop.findOwnDrop(c.var.seller, dropRef(c.req.param("ref")));
      await shop.fairness.openLeftovers(drop.id);
      return c.json(await shop.fairness.drawRecord(drop.id, drop.quantity));
    },
  );

  api.get(
    "/drops/:ref/queue",
    describe(
      {
        summary: "The seller's view of a draw or waitlist: entries, waiting, offers held, paid and lapsed",
        tags: ["draws"],
        security: SELLER_AUTH,
        responses: { 200: answer("the counts", StatsJson) },
      },
      [401, 404, 503],
    ),
    requireSeller,
    async (c) => {
      const drop = await shop.findOwnDrop(c.var.seller, dropRef(c.req.param("ref")));
      return c.json(await shop.fairness.stats(drop.id));
    },
  );

  api.post(
    "/drops/:ref/waitlist",
    describe(
      {
        summary: "Join a sold-out (or fully held) first-come drop's waitlist; again answers the same place",
        tags: ["waitlist"],
        parameters: [FAN_TOKEN],
        requestBody: jsonRequest(FanBody),
        responses: {
          201: answer("the place", v.strictObject({ position: v.nullable(v.number()), entry: EntryJson })),
          200: answer(
            "the fan's place, taken before",
            v.strictObject({ position: v.nullable(v.number()), entry: EntryJson }),
          ),
        },
      },
      [400, 401, 404, 409, 413, 415, 503],
    ),
    async (c) => {
      const drop = await dropOf(c);
      // The queue offers the next unit that comes back, whatever its size: one size only (docs/draws.md).
      if ((drop.variantCount ?? 0) > 1)
        throw new DrawState("The waitlist is for drops of one size; this drop sells several.");
      const { position, entry, created } = await shop.fairness.joinWaitlist(
        drop.id,
        await fanOf(c, drop, fans, "body"),
      );
      return c.json({ position, entry }, created ? 201 : 200);
    },
  );

  api.get(
    "/drops/:ref/waitlist/me",
    describe(
      {
        summary: "A fan's waitlist place: waiting (position), offered (holding a unit), paid, lapsed or lost",
        tags: ["waitlist"],
        parameters: [FAN_QUERY, FAN_TOKEN],
        responses: { 200: answer("the place's status; an offer carries its order and token", StatusJson) },
      },
      [400, 401, 404, 503],
    ),
    async (c) => {
      const drop = await dropOf(c);
      const status = await shop.fairness.entryStatus(drop.id, await fanOf(c, drop, fans, "query"));
      if (!status) throw new NotFound("waitlist place");
      return c.json(statusJson(status));
    },
  );

  api.delete(
    "/drops/:ref/waitlist",
    describe(
      {
        summary: "Leave the waitlist (a place already offered a unit stays: pay or let the offer lapse)",
        tags: ["waitlist"],
        parameters: [FAN_QUERY, FAN_TOKEN],
        responses: { 204: { description: "left" } },
      },
      [400, 401, 404, 503],
    ),
    async (c) => {
      const drop = await dropOf(c);
      if (!(await shop.fairness.leaveWaitlist(drop.id, await fanOf(c, drop, fans, "query")))) {
        throw new NotFound("waitlist place");
      }
      return c.body(null, 204);
    },
  );

  return api;
}
