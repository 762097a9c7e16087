import { randomBytes } from "node:crypto";
import { type Database, violatedConstraint } from "../db/database";
import * as repo from "../repository";
import { DropCache, isUuid } from "./drop-cache";
import { EmailTaken, NotFound, Unauthorized } from "./errors";
import { type DropImage, imagesOfDrop } from "./images";
import { type PurchaseRequest, type PurchaseResult, purchase } from "./purchase";
import { defaultRetryPolicy, type RetryPolicy, TryAgain, withRetry } from "./retry";
import { hashApiKey, hashPassword, newApiKey } from "./secrets";
import { assignShopSlug, slugBase } from "./shop-slug";
import { bucketCountFor, planBuckets } from "./stock-plan";
import type { Audit, Drop, DropStatus, DropTerms, Order, Seller } from "./types";

export interface NewDropInput extends DropTerms {
  /** Stock rows to spread the units over; chosen from the quantity when absent. */
  bucketCount?: number;
}

export interface DropWithStock {
  drop: Drop;
  remaining: number;
  status: DropStatus;
  serverTime: Date;
  /** The drop's pictures, oldest first (see images.ts). */
  images: DropImage[];
}

/** URL-safe, readable and unguessable enough: "summer-sneaker-k3x9qa". */
export function slugFor(title: string): string {
  const base = slugBase(title);
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(6, "0").slice(-6);
  return base ? `${base}-${suffix}` : `drop-${suffix}`;
}

export function statusOf(drop: Drop, remaining: number, serverTime: Date): DropStatus {
  if (serverTime < drop.startsAt) return "upcoming";
  return remaining > 0 ? "live" : "sold_out";
}

/**
 * The shop's use cases over one database. Handlers call these; these call the repository.
 */
export function createShop(db: Database, options: { retryPolicy?: RetryPolicy } = {}) {
  const cache = new DropCache();
  const retryPolicy = options.retryPolicy ?? defaultRetryPolicy;

  async function findDrop(ref: string): Promise<Drop> {
    const cached = cache.get(ref);
    if (cached) return cached;
    const drop = isUuid(ref)
      ? await repo.findDropById(db, ref.toLowerCase())
      : await repo.findDropBySlug(db, ref);
    if (!drop) throw new NotFound("drop");
    cache.remember(drop);
    return drop;
  }

  async function findOwnDrop(seller: Seller, ref: string): Promise<Drop> {
    const drop = await findDrop(ref);
    // Another seller's drop is reported as missing, so ids cannot be probed.
    if (drop.sellerId !== seller.id) throw new NotFound("drop");
    return drop;
  }

  return {
    db,
    cache,

    async createSeller(input: { email: string; name: string; password: string }) {
      const apiKey = newApiKey();
      const account = {
        email: input.email,
        name: input.name,
        passwordHash: await hashPassword(input.password),
        apiKeyHash: hashApiKey(apiKey),
      };
      try {
        const seller = await withRetry(retryPolicy, () => repo.insertSeller(db, account));
        // The account exists now; if its shop address cannot be given yet, the first page that needs it will.
        await withRetry(retryPolicy, () => assignShopSlug(db, seller.id, seller.name)).catch(() => undefined);
        return { seller, apiKey };
      } catch (error) {
        if (violatedConstraint(error) === "sellers_email_key") throw new EmailTaken();
        throw error;
      }
    },

    async sellerByApiKey(apiKey: string): Promise<Seller> {
      const seller = await repo.findSellerByApiKeyHash(db, hashApiKey(apiKey));
      if (!seller) throw new Unauthorized();
      return seller;
    },

    async rotateApiKey(seller: Seller): Promise<string> {
      const apiKey = newApiKey();
      await withRetry(retryPolicy, () => repo.updateSellerApiKey(db, seller.id, hashApiKey(apiKey)));
      return apiKey;
    },

    async createDrop(
      seller: Seller,
      input: NewDropInput,
      flags: { rehearsalOf?: string } = {},
    ): Promise<Drop> {
      const buckets = planBuckets(input.quantity, input.bucketCount ?? bucketCountFor(input.quantity));
      // Each try is one statement: a write conflict (40001, e.g. DSQL's OC001 after a schema change) or a
      // slug that happens to be taken leaves nothing behind, so the whole statement is simply tried again.
      return withRetry(retryPolicy, async () => {
        try {
          const drop = await repo.insertDropWithStock(
            db,
            {
              ...input,
              sellerId: seller.id,
              slug: slugFor(input.title),
              isRehearsal: flags.rehearsalOf !== undefined,
              rehearsalOf: flags.rehearsalOf ?? null,
            },
            buckets,
          );
          cache.remember(drop);
          return drop;
        } catch (error) {
          if (violatedConstraint(error) === "drops_slug_key") throw new TryAgain("slug taken");
          throw error;
        }
      });
    },

    findDrop,
    findOwnDrop,

    async dropWithStock(ref: string): Promise<DropWithStock> {
      const drop = await findDrop(ref);
      const [{ remaining, serverTime }, images] = await Promise.all([
        repo.readStock(db, drop.id),
        imagesOfDrop(db, drop.id),
      ]);
      return { drop, remaining, serverTime, status: statusOf(drop, remaining, serverTime), images };
    },

    async purchase(ref: string, request: PurchaseRequest): Promise<PurchaseResult> {
      return purchase({ db, cache, retryPolicy }, await findDrop(ref), request);
    },

    async audit(seller: Seller, ref: string): Promise<Audit> {
      const drop = await findOwnDrop(seller, ref);
      const audit = await repo.auditDrop(db, drop.id);
      if (!audit) throw new NotFound("drop");
      return audit;
    },

    async orders(
      seller: Seller,
      ref: string,
      page: { limit: number; cursor?: string | undefined },
    ): Promise<{ orders: Order[]; nextCursor: string | undefined }> {
      const drop = await findOwnDrop(seller, ref);
      const orders = await repo.listOrders(db, drop.id, page.limit + 1, page.cursor);
      const more = orders.length > page.limit;
      const shown = more ? orders.slice(0, page.limit) : orders;
      const last = shown.at(-1);
      return { orders: shown, nextCursor: more && last ? last.id : undefined };
    },
  };
}

export type Shop = ReturnType<typeof createShop>;
