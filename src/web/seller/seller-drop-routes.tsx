import { type Context, Hono } from "hono";
import * as v from "valibot";
import { DashboardPage, LiveStats, NewOrders, OlderOrders } from "../../../views/seller/dashboard";
import { DropControls } from "../../../views/seller/drop-controls";
import { DropsPage } from "../../../views/seller/drops";
import { EditDropPage, editValuesOf } from "../../../views/seller/edit-drop";
import { NEW_DROP_DEFAULTS, NewDropPage } from "../../../views/seller/new-drop";
import {
  AddVariantButton,
  MAX_VARIANT_ROWS,
  VariantRow,
  variantRowCount,
} from "../../../views/seller/variant-rows";
import type { SellerDashboard } from "../../domain/books";
import { exportFileName } from "../../domain/books";
import { createDropImages, type DropImage, TIME_ZONES } from "../../domain/catalog";
import {
  DrawTermsBroken,
  DropLive,
  InvalidInput,
  NotFound,
  VariantBelowSold,
  VariantHasOrders,
} from "../../domain/errors";
import { DRAW_GRACE_SECONDS, fairnessSummary } from "../../domain/fairness";
import type { Shop } from "../../domain/shop";
import type { StressTests } from "../../domain/stress-test";
import type { Drop, Seller } from "../../domain/types";
import { csvResponse } from "../../http/api";
import { drawTermsOf, PublicValueBody } from "../../http/fairness-api";
import { DropRef } from "../../http/schemas";
import { parseWith } from "../../http/validation";
import { checkedForm } from "../csrf";
import { requireSeller, type SellerEnv } from "../session";
import { shellOf } from "./seller-auth-routes";
import { formErrors, parseDropEdit, parseNewDrop } from "./seller-forms";
import { formPicture, pictureProblem } from "./seller-image-routes";
import { stressFormDefaults } from "./seller-stress-routes";

/** Orders per page of the audit trail. */
export const AUDIT_PAGE_SIZE = 50;

const OrderCursor = v.optional(v.pipe(v.string(), v.uuid("the cursor is not an order id")));

const SeenCount = v.optional(
  v.pipe(v.string(), v.regex(/^\d{1,9}$/, "seen must be a whole number"), v.transform(Number)),
);

/** Go-live has come on the database clock: the drop's price, quantity and go-live are fixed. */
const isPastGoLive = (drop: Drop, serverTime: Date) => serverTime >= drop.startsAt;

/** The drop status a dashboard page shows, as its live stats poll reports it. */
const ShownStatus = v.optional(v.picklist(["upcoming", "live", "sold_out", "paused", "cancelled"]));

const isFragment = (c: Context) => c.req.header("hx-request") === "true";

function dropRef(c: Context): string {
  try {
    return parseWith(DropRef, c.req.param("ref"));
  } catch {
    throw new NotFound("drop");
  }
}

/**
 * The drops list, the create-drop form and each drop's live dashboard. Fragment endpoints answer htmx
 * with the component alone and everyone else with the whole dashboard around the same component.
 */
/** The id of a picture kept for the new-drop form (a hidden field), refused quietly when malformed. */
const PendingId = v.pipe(v.string(), v.uuid());

/** The new-drop form's picture: kept (with its id and how it looks), and/or why the file chosen was refused. */
interface KeptPicture {
  pendingId?: string;
  image?: DropImage;
  error?: string;
}

export function sellerDropRoutes(
  shop: Shop,
  dashboard: SellerDashboard,
  publicUrl?: string,
  stressTests?: StressTests,
) {
  const routes = new Hono<SellerEnv>();
  routes.use("/seller/drops", requireSeller);
  routes.use("/seller/drops/*", requireSeller);
  const sellerOf = (c: Context<SellerEnv>): Seller => c.var.seller!;
  const images = createDropImages(shop.db);

  async function dashboardPage(c: Context<SellerEnv>, cursor: string | undefined) {
    const seller = sellerOf(c);
    // Pace first: if it says sold out, every order is already committed and the page below shows them all.
    const live = await dashboard.live(seller, dropRef(c));
    const page = cursor
      ? { ...(await shop.orders(seller, live.drop.id, { limit: AUDIT_PAGE_SIZE, cursor })), seen: 0 }
      : await dashboard.newestOrders(live.drop, AUDIT_PAGE_SIZE);
    // A rehearsal is itself the copy a Stress Test buys from: it gets no Stress Test of its own.
    const stress =
      stressTests && !live.drop.isRehearsal
        ? {
            tests: await stressTests.list(live.drop),
            values: stressFormDefaults(live.drop, stressTests.limits),
            errors: {},
            limits: stressTests.limits,
          }
        : undefined;
    const [draw, counts] = await Promise.all([
      shop.fairness.findDraw(live.drop.id),
      shop.fairness.stats(live.drop.id),
    ]);
    const queue =
      draw || counts.entries > 0
        ? {
            dropId: live.drop.id,
            slug: live.drop.slug,
            csrfToken: c.var.csrfToken,
            counts,
            draw: draw && {
              commitment: draw.commitment,
              entriesCloseAt: new Date(draw.entries_close_at),
              drawnAt: draw.ranked_at && new Date(draw.ranked_at),
              publicValueSource: draw.public_value_source,
              publicValue: draw.public_value,
              // Frozen, or due to be (publishing the value freezes it first): the value may be given.
              frozen:
                draw.frozen_count !== null ||
                new Date(draw.read_at).getTime() - new Date(draw.entries_close_at).getTime() >=
                  DRAW_GRACE_SECONDS * 1000,
              opened: draw.opened_at !== null,
              leftover: live.drop.quantity - counts.held - counts.paid,
            },
          }
        : undefined;
    c.header("Cache-Control", "no-store");
    return c.html(
      <DashboardPage
        queue={queue}
        {...shellOf(c)}
        live={live}
        story={await dashboard.salesStory(live)}
        orders={page.orders}
        nextCursor={page.nextCursor}
        cursor={cursor}
        seen={page.seen}
        publicUrl={new URL(`/d/${live.drop.slug}`, publicUrl ?? c.req.url).href}
        stress={stress}
        fairness={await fairnessSummary(shop.db, live.drop)}
      />,
    );
  }

  routes.get("/seller/drops", async (c) =>
    c.html(<DropsPage {...shellOf(c)} list={await dashboard.drops(sellerOf(c))} />),
  );

  routes.get("/seller/drops/new", (c) =>
    c.html(
      <NewDropPage {...shellOf(c)} values={NEW_DROP_DEFAULTS} errors={{}} timeZones={TIME_ZONES} fresh />,
    ),
  );

  // "Add a size" with htmx: the next row, and the button again for the row after it (out of band).
  routes.get("/seller/drops/variant-row", (c) => {
    const index = Number(c.req.query("index"));
    if (!Number.isInteger(index) || index < 0 || index >= MAX_VARIANT_ROWS) return c.body(null, 204);
    return c.html(
      <>
        <VariantRow index={index} values={{}} errors={{}} />
        <AddVariantButton next={index + 1} oob />
      </>,
    );
  });
  /**
   * The new-drop form's picture: the file chosen now (kept as a pending picture, so a form sent back with
   * errors still has it), else the one kept on an earlier try (`pendingPicture`), unless the seller asked to
   * drop it. A refused file is a field error beside the others, with the earlier picture still kept.
   */
  async function formPictureKept(c: Context<SellerEnv>, form: Record<string, string>): Promise<KeptPicture> {
    const seller = sellerOf(c);
    const earlierId = form.removePicture === "on" ? undefined : v.safeParse(PendingId, form.pendingPicture);
    const earlier = earlierId?.success ? await images.pending(seller.id, earlierId.output) : undefined;
    const kept = earlier && earlierId?.success ? { pendingId: earlierId.output, image: earlier } : {};
    const upload = await formPicture(c);
    if (!upload) return kept;
    try {
      return await images.keepPending(seller.id, upload);
    } catch (error) {
      const problem = pictureProblem(error);
      if (problem === undefined) throw error;
      return { ...kept, error: problem };
    }
  }

  routes.post("/seller/drops", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    // "Add a size" without JS: the same form back, with one more size row and nothing checked yet.
    if (form.intent === "add-variant") {
      return c.html(
        <NewDropPage
          {...shellOf(c)}
          values={form}
          errors={{}}
          timeZones={TIME_ZONES}
          fresh={false}
          variantRows={variantRowCount(form, 1)}
        />,
      );
    }
    const parsed = parseNewDrop(form, shop.clock);
    const picture = await formPictureKept(c, form);
    if (!parsed.ok || picture.error) {
      // Every problem at once, the picture's among them; a picture already chosen stays chosen.
      const errors = {
        ...(parsed.ok ? {} : parsed.errors),
        ...(picture.error ? { image: picture.error } : {}),
      };
      const { pendingPicture: _old, removePicture: _remove, ...values } = form;
      return c.html(
        <NewDropPage
          {...shellOf(c)}
          values={picture.pendingId ? { ...values, pendingPicture: picture.pendingId } : values}
          errors={errors}
          picture={picture.image}
          timeZones={TIME_ZONES}
          fresh={false}
        />,
        400,
      );
    }
    // A draw's terms (a close after go-live, a hold, verified fans) are checked as the API checks them.
    const { sale, entriesCloseAt, drawPublicValue, ...input } = parsed.value;
    let draw: ReturnType<typeof drawTermsOf>;
    try {
      draw = drawTermsOf(shop, {
        sale,
        entriesCloseAt,
        drawPublicValue,
        ...input,
        holdMinutes: (input.holdSeconds ?? 0) / 60,
      });
    } catch (error) {
      if (!(error instanceof InvalidInput)) throw error;
      const { pendingPicture: _old, removePicture: _remove, ...values } = form;
      return c.html(
        <NewDropPage
          {...shellOf(c)}
          values={picture.pendingId ? { ...values, pendingPicture: picture.pendingId } : values}
          errors={formErrors(error.issues)}
          picture={picture.image}
          timeZones={TIME_ZONES}
          fresh={false}
        />,
        400,
      );
    }
    const drop = await shop.createDrop(sellerOf(c), { ...input, ...(draw ? { draw } : {}) });
    if (picture.pendingId) await images.attachPending(sellerOf(c).id, picture.pendingId, drop);
    return c.redirect(`/seller/drops/${drop.slug}`, 303);
  });

  /** The edit form: every term before go-live; once live title, description, limit, sizes and shipping. */
  async function editPage(
    c: Context<SellerEnv>,
    values?: Record<string, string>,
    errors: Record<string, string> = {},
    variantRows?: number,
    status: 400 | 422 = 400,
  ) {
    const view = await shop.dropWithStock((await shop.findOwnDrop(sellerOf(c), dropRef(c))).id);
    const { drop } = view;
    if (view.status === "cancelled") return c.redirect(`/seller/drops/${drop.slug}`, 303);
    const variants = await namedSizes(drop);
    return c.html(
      <EditDropPage
        {...shellOf(c)}
        drop={drop}
        live={isPastGoLive(drop, view.serverTime)}
        values={values ?? editValuesOf(drop, variants)}
        errors={errors}
        timeZones={TIME_ZONES}
        variants={variants}
        variantRows={variantRows}
      />,
      Object.keys(errors).length ? status : 200,
    );
  }

  /** A draw's broken terms (DrawTermsBroken) on the edit form's own fields: the hold and close have no field of their own there. */
  const drawErrors = (error: DrawTermsBroken): Record<string, string> => {
    const field = { holdMinutes: "holdMode", entriesCloseAt: "startsAt", sale: "startsAt" } as Record<
      string,
      string
    >;
    const errors: Record<string, string> = {};
    for (const issue of error.issues) {
      const message = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
      errors[field[issue.path] ?? issue.path] ??= `${message}.`;
    }
    return errors;
  };

  /** The drop's named sizes; none for a drop of one kind of unit. */
  const namedSizes = async (drop: Drop) => (drop.variantCount ? await shop.currentVariants(drop) : []);

  routes.get("/seller/drops/:ref/edit", (c) => editPage(c));

  routes.post("/seller/drops/:ref/edit", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    // "Add a size" without JS: the same form back, with one more size row and nothing saved yet.
    if (form.intent === "add-variant") return editPage(c, form, {}, variantRowCount(form, 1));
    const { drop, serverTime } = await shop.dropWithStock(
      (await shop.findOwnDrop(sellerOf(c), dropRef(c))).id,
    );
    const parsed = parseDropEdit(
      form,
      {
        live: isPastGoLive(drop, serverTime),
        checkout: drop.holdSeconds > 0,
        variants: await namedSizes(drop),
      },
      shop.clock,
    );
    if (!parsed.ok) return editPage(c, form, parsed.errors);
    try {
      await shop.editDrop(sellerOf(c), drop.id, parsed.value);
    } catch (error) {
      if (error instanceof DrawTermsBroken) return editPage(c, form, drawErrors(error), undefined, 422);
      // A size the database refuses (below what it sold, removed with orders, grown once live): said above
      // the sizes, with the seller's rows kept.
      const refusal = sizeRefusal(error);
      if (refusal === undefined) throw error;
      return editPage(c, form, { variants: refusal });
    }
    return c.redirect(`/seller/drops/${drop.slug}`, 303);
  });

  for (const action of ["pause", "resume", "cancel"] as const) {
    routes.post(`/seller/drops/:ref/${action}`, async (c) => {
      await checkedForm(c, c.var.csrfToken);
      const ref = dropRef(c);
      const drop =
        action === "cancel"
          ? await shop.cancelDrop(sellerOf(c), ref)
          : await shop.pauseDrop(sellerOf(c), ref, action === "pause");
      return c.redirect(`/seller/drops/${drop.slug}`, 303);
    });
  }

  // A draw's two seller steps (docs/draws.md): the named public value, once the entry list is frozen, and
  // the leftovers first-come, once the ranking ran out. The same domain calls as the API's.
  routes.post("/seller/drops/:ref/draw/public-value", async (c) => {
    const form = await checkedForm(c, c.var.csrfToken);
    const drop = await shop.findOwnDrop(sellerOf(c), dropRef(c));
    const { value } = parseWith(PublicValueBody, { value: form.value ?? "" });
    await shop.fairness.setPublicValue(drop.id, value);
    return c.redirect(`/seller/drops/${drop.slug}`, 303);
  });

  routes.post("/seller/drops/:ref/draw/open-leftovers", async (c) => {
    await checkedForm(c, c.var.csrfToken);
    const drop = await shop.findOwnDrop(sellerOf(c), dropRef(c));
    await shop.fairness.openLeftovers(drop.id);
    return c.redirect(`/seller/drops/${drop.slug}`, 303);
  });

  routes.get("/seller/drops/:ref/orders.csv", async (c) => {
    const { drop, csv } = await shop.ordersCsv(sellerOf(c), dropRef(c));
    return csvResponse(csv, exportFileName(drop));
  });

  routes.get("/seller/drops/:ref", (c) => dashboardPage(c, parseWith(OrderCursor, c.req.query("cursor"))));

  routes.get("/seller/drops/:ref/stats", async (c) => {
    if (!isFragment(c)) return dashboardPage(c, undefined);
    c.header("Cache-Control", "no-store");
    const live = await dashboard.live(sellerOf(c), dropRef(c));
    const stats = <LiveStats live={live} story={await dashboard.salesStory(live)} />;
    // The page shows another status than the database's: its controls are replaced too (out of band).
    if (v.safeParse(ShownStatus, c.req.query("shown")).output === live.status) return c.html(stats);
    return c.html(
      <>
        {stats}
        <DropControls slug={live.drop.slug} status={live.status} csrfToken={c.var.csrfToken} outOfBand />
      </>,
    );
  });

  routes.get("/seller/drops/:ref/orders", async (c) => {
    const cursor = parseWith(OrderCursor, c.req.query("cursor"));
    if (!isFragment(c)) return dashboardPage(c, cursor);
    const live = await dashboard.live(sellerOf(c), dropRef(c));
    const page = await shop.orders(sellerOf(c), live.drop.id, { limit: AUDIT_PAGE_SIZE, cursor });
    return c.html(<OlderOrders live={live} orders={page.orders} nextCursor={page.nextCursor} />);
  });

  routes.get("/seller/drops/:ref/orders/new", async (c) => {
    const since = parseWith(OrderCursor, c.req.query("since"));
    const seen = parseWith(SeenCount, c.req.query("seen"));
    if (!isFragment(c)) return dashboardPage(c, undefined);
    const live = await dashboard.live(sellerOf(c), dropRef(c));
    const batch = await dashboard.newOrders(live.drop, since, seen);
    c.header("Cache-Control", "no-store");
    // The poller carries on while units can still sell or a batch is still waiting.
    const keepPolling = (live.status !== "sold_out" && live.status !== "cancelled") || batch.more;
    return c.html(<NewOrders live={live} since={since} keepPolling={keepPolling} {...batch} />);
  });

  return routes;
}

/** The message of an edit's refusal that concerns the sizes, or undefined for any other error. */
function sizeRefusal(error: unknown): string | undefined {
  if (error instanceof VariantBelowSold || error instanceof VariantHasOrders || error instanceof DropLive)
    return error.message;
  if (error instanceof InvalidInput && error.issues.some((issue) => issue.path === "variants"))
    return error.issues.map((issue) => issue.message).join("; ");
  return undefined;
}
