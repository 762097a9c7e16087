import { randomUUID } from "node:crypto";
import type { Audit } from "../domain/types";

/**
 * The few JSON API calls a stampede needs around the purchases themselves: a seller and a drop to stampede,
 * the drop's public stock before, and the owner's audit and order list after. Plain `fetch`, no app code,
 * so the runner works the same against this process's server or one across the network.
 */

export interface DropSnapshot {
  id: string;
  slug: string;
  quantity: number;
  remaining: number;
  status: "upcoming" | "live" | "sold_out";
  startsAt: string;
  serverTime: string;
  /** The drop's variants (sizes); a drop of one answers one (or, from an older server, none). */
  variants?: { id: string; name: string; quantity: number; remaining: number }[];
}

/**
 * A unit's place in the whole drop, counting variant after variant (the first's 1..q0, then the next's
 * q0 + 1 ..), so that the receipt's checks of "1..quantity, each once" judge every variant at once: a unit
 * outside its variant's 1..quantity, or of a variant the drop does not have, is 0 (out of range).
 * @example dropWideUnit(drop, 3, variantId) // 13 for unit 3 of the second size after a first of 10
 */
export function dropWideUnit(drop: DropSnapshot, unitNo: number, variantId: string | undefined): number {
  const variants = drop.variants ?? [];
  if (variants.length < 2) return unitNo;
  let offset = 0;
  for (const variant of variants) {
    if (variant.id === variantId) return unitNo >= 1 && unitNo <= variant.quantity ? offset + unitNo : 0;
    offset += variant.quantity;
  }
  return 0;
}

/** The owner's audit, counted by the database from the order and stock rows. */
/** GET /api/drops/:ref/audit answers with exactly the domain's audit. */
export type AuditFigures = Audit;

/** Every order row of a drop, as parallel arrays (a million small objects would not be memory-light). */
export interface OrderListing {
  orderIds: string[];
  units: number[];
}

/** An answer the stampede tooling did not expect, with enough of the body to see why. */
export class ApiCallFailed extends Error {
  constructor(
    readonly what: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${what} failed: HTTP ${status} ${body.slice(0, 300)}`);
    this.name = "ApiCallFailed";
  }
}

const trimmed = (baseUrl: string) => baseUrl.replace(/\/+$/, "");
const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });

async function call<T>(what: string, url: string, init: RequestInit, expected: number): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== expected) throw new ApiCallFailed(what, res.status, text);
  return JSON.parse(text) as T;
}

const postJson = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** Signs up a throwaway seller and returns its API key. */
export async function createSellerAccount(baseUrl: string): Promise<string> {
  const body = await call<{ apiKey: string }>(
    "creating a seller",
    `${trimmed(baseUrl)}/api/sellers`,
    postJson({
      email: `stampede-${randomUUID()}@stampede.test`,
      password: `stampede-${randomUUID()}`,
      name: "Stampede runner",
    }),
    201,
  );
  return body.apiKey;
}

/**
 * A drop of `quantity` units, live now, one unit per fan; with `variants` > 1, split over that many sizes
 * ("V1", "V2" ...) as evenly as the units allow.
 */
export async function createLiveDrop(
  baseUrl: string,
  apiKey: string,
  quantity: number,
  title = `Stampede ${new Date().toISOString().slice(0, 16)}`,
  /** More terms, e.g. `{ verifiedFans: true }`. */
  terms: Record<string, unknown> = {},
  variants = 1,
): Promise<DropSnapshot> {
  const body = await call<{ drop: DropSnapshot }>(
    "creating the drop",
    `${trimmed(baseUrl)}/api/drops`,
    postJson(
      {
        title,
        description: "Created by the stampede runner.",
        priceCents: 1000,
        quantity,
        ...(variants > 1 ? { variants: evenVariants(quantity, variants) } : {}),
        // A little in the past so that a server clock slightly behind ours still sees it live.
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        maxPerFan: 1,
        ...terms,
      },
      bearer(apiKey),
    ),
    201,
  );
  return body.drop;
}

/** `count` sizes sharing `quantity` units, sizes differing by at most one unit. */
export function evenVariants(quantity: number, count: number): { name: string; quantity: number }[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `V${i + 1}`,
    quantity: Math.floor(quantity / count) + (i < quantity % count ? 1 : 0),
  }));
}

export async function readDrop(
  baseUrl: string,
  ref: string,
  headers: Record<string, string> = {},
): Promise<DropSnapshot> {
  const body = await call<{ drop: DropSnapshot }>(
    `reading drop ${ref}`,
    `${trimmed(baseUrl)}/api/drops/${encodeURIComponent(ref)}`,
    { headers },
    200,
  );
  return body.drop;
}

export function readAudit(baseUrl: string, ref: string, apiKey: string): Promise<AuditFigures> {
  return call<AuditFigures>(
    `auditing drop ${ref} (is the key the owner's?)`,
    `${trimmed(baseUrl)}/api/drops/${encodeURIComponent(ref)}/audit`,
    { headers: bearer(apiKey) },
    200,
  );
}

/**
 * Pages through every order of the drop, 500 at a time. With the drop's snapshot, units are counted across
 * its variants (dropWideUnit), as the runner counts its wins.
 */
export async function readAllOrders(
  baseUrl: string,
  ref: string,
  apiKey: string,
  drop?: DropSnapshot,
): Promise<OrderListing> {
  const listing: OrderListing = { orderIds: [], units: [] };
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `limit=500&cursor=${cursor}` : "limit=500";
    const page: {
      orders: { id: string; unitNo: number; variant?: { id: string } }[];
      nextCursor: string | null;
    } = await call(
      `listing the orders of drop ${ref}`,
      `${trimmed(baseUrl)}/api/drops/${encodeURIComponent(ref)}/orders?${query}`,
      { headers: bearer(apiKey) },
      200,
    );
    for (const order of page.orders) {
      listing.orderIds.push(order.id);
      listing.units.push(drop ? dropWideUnit(drop, order.unitNo, order.variant?.id) : order.unitNo);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return listing;
}
