/**
 * The fan page's side of draws and waitlists (docs/draws.md): the box a draw drop shows in place of the buy
 * box, and the waitlist a sold-out first-come drop offers; entering and joining, as htmx fragments or, without
 * JS, a post/redirect/get back to the drop page.
 */
import { type Context, Hono } from "hono";
import * as v from "valibot";
import { QueueBox, type QueueBoxProps, type QueueFanState } from "../../../views/fan/queue-box";
import type { Storefront } from "../../domain/catalog";
import { DomainError, FanUnverified } from "../../domain/errors";
import type { EntryStatus, VerifiedFans } from "../../domain/fairness";
import type { DropWithStock, Shop } from "../../domain/shop";
import type { Drop } from "../../domain/types";
import { verifiedFan } from "../../http/fan-auth";
import { Fan } from "../../http/schemas";
import { formBody } from "../../http/validation";

const isFragment = (c: Context) => c.req.header("hx-request") === "true";

export function createFanQueue(shop: Shop, storefront: Storefront, fans: VerifiedFans | undefined) {
  const orderUrl = async (drop: Drop, orderId: string) =>
    `/d/${drop.slug}/orders/${orderId}?k=${await storefront.receiptCode(orderId)}`;

  async function fanState(drop: Drop, status: EntryStatus): Promise<QueueFanState> {
    switch (status.status) {
      case "won":
      case "offered":
        return {
          status: status.status,
          unitNo: status.unitNo,
          expiresAt: status.expiresAt,
          payUrl: await orderUrl(drop, status.orderId),
          claim: drop.holdSeconds <= 0,
        };
      case "paid":
        return { status: "paid", unitNo: status.unitNo, receiptUrl: await orderUrl(drop, status.orderId) };
      case "waiting":
        return { status: "waiting", position: status.position };
      default:
        return { status: status.status };
    }
  }

  /** The verified fan of this request (cookie or header), if any. */
  const verifiedOf = async (c: Context) => (fans ? await verifiedFan(c, fans) : undefined);

  /** The queue box for the drop page: a draw drop's always, a first-come drop's once it is sold out. */
  async function boxFor(
    c: Context,
    drop: Drop,
    view: Pick<DropWithStock, "status" | "serverTime">,
    extra: { message?: QueueBoxProps["message"]; fan?: QueueFanState; fanValue?: string } = {},
  ): Promise<QueueBoxProps | undefined> {
    const draw = await shop.fairness.findDraw(drop.id);
    const verified = await verifiedOf(c);
    const mine = verified ? await shop.fairness.entryView(drop.id, verified.email) : undefined;
    const fan = extra.fan ?? (mine ? await fanState(drop, mine.status) : undefined);
    if (draw) {
      const live = view.serverTime.getTime() >= drop.startsAt.getTime();
      return {
        kind: "draw",
        slug: drop.slug,
        dropId: drop.id,
        entriesCloseAt: new Date(draw.entries_close_at),
        open: live && !draw.closed && view.status !== "cancelled",
        drawn: draw.ranked_at !== null,
        commitment: draw.commitment,
        publicValueSource: draw.public_value_source,
        fan,
        entry: mine && { ref: mine.entryId, rank: mine.rank },
        needsVerification: !verified,
        message: extra.message,
        refreshUrl: `/d/${drop.slug}/queue-box`,
      };
    }
    if (view.status !== "sold_out" && !extra.message && !extra.fan) return undefined;
    // A waitlist offers whatever unit comes back, so only a drop of one size has one (docs/draws.md).
    if ((drop.variantCount ?? 0) > 1) return undefined;
    return {
      kind: "waitlist",
      slug: drop.slug,
      askFan: !drop.verifiedFans,
      fanValue: extra.fanValue ?? "",
      fan,
      message: extra.message,
      // Without verified fans the page names its fan as the API's /waitlist/me does.
      refreshUrl:
        drop.verifiedFans || !extra.fanValue
          ? `/d/${drop.slug}/queue-box`
          : `/d/${drop.slug}/queue-box?fan=${encodeURIComponent(extra.fanValue)}`,
    };
  }

  /** Answers an enter or join: the box itself (htmx), or back to the drop page (no JS). */
  async function answer(
    c: Context,
    drop: Drop,
    extra: Parameters<typeof boxFor>[3],
    status: 200 | 201 | 409 | 400 | 401,
  ) {
    c.header("Cache-Control", "no-store");
    if (!isFragment(c)) return c.redirect(`/d/${drop.slug}`, 303);
    const view = await shop.dropWithStock(drop.id);
    const box = await boxFor(c, drop, view, extra);
    return c.html(box ? <QueueBox {...box} /> : "", status);
  }

  const refusal = (error: unknown) => {
    if (error instanceof FanUnverified) {
      return { tone: "warn" as const, text: "Confirm your email on this page first.", status: 401 as const };
    }
    if (error instanceof DomainError)
      return { tone: "warn" as const, text: error.message, status: 409 as const };
    throw error;
  };

  function routes(findDrop: (slug: string) => Promise<Drop | undefined>) {
    const app = new Hono();

    app.post("/:slug/entries", async (c) => {
      const drop = await findDrop(c.req.param("slug"));
      if (!drop) return c.notFound();
      try {
        const verified = await verifiedOf(c);
        if (!verified) throw new FanUnverified();
        const { created } = await shop.fairness.enter(drop.id, verified.email);
        return answer(c, drop, {}, created ? 201 : 200);
      } catch (error) {
        const { status, ...message } = refusal(error);
        return answer(c, drop, { message }, status);
      }
    });

    app.post("/:slug/waitlist", async (c) => {
      const drop = await findDrop(c.req.param("slug"));
      if (!drop) return c.notFound();
      const form = await formBody(c);
      let fan: string;
      if (drop.verifiedFans) {
        const verified = await verifiedOf(c);
        if (!verified) return answer(c, drop, { message: refusal(new FanUnverified()) }, 401);
        fan = verified.email;
      } else {
        const parsed = v.safeParse(Fan, form.fan);
        if (!parsed.success) {
          const text = parsed.issues[0]?.message ?? "Your email is required";
          return answer(c, drop, { message: { tone: "warn", text }, fanValue: String(form.fan ?? "") }, 400);
        }
        fan = parsed.output;
      }
      try {
        const joined = await shop.fairness.joinWaitlist(drop.id, fan);
        const status = await shop.fairness.entryStatus(drop.id, fan);
        return answer(
          c,
          drop,
          status ? { fan: await fanState(drop, status), fanValue: fan } : {},
          joined.created ? 201 : 200,
        );
      } catch (error) {
        const { status, ...message } = refusal(error);
        return answer(c, drop, { message, fanValue: fan }, status);
      }
    });

    /**
     * The fan's queue box alone, for an open page to re-fetch when the stream's queue tick moved (drop.js,
     * jittered): the verified fan by cookie, or on a drop without verified fans the `fan` named.
     */
    app.get("/:slug/queue-box", async (c) => {
      const drop = await findDrop(c.req.param("slug"));
      if (!drop) return c.notFound();
      c.header("Cache-Control", "private, no-store");
      const named = drop.verifiedFans ? undefined : v.safeParse(Fan, c.req.query("fan") ?? "");
      const extra: Parameters<typeof boxFor>[3] = {};
      if (named?.success) {
        const status = await shop.fairness.entryStatus(drop.id, named.output);
        if (status) Object.assign(extra, { fan: await fanState(drop, status), fanValue: named.output });
      }
      const box = await boxFor(c, drop, await shop.dropWithStock(drop.id), extra);
      return c.html(box ? <QueueBox {...box} /> : "");
    });

    return app;
  }

  return { boxFor, routes };
}
