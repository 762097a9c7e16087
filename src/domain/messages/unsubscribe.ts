/**
 * One-click unsubscribe links (RFC 8058) for mail that is not a receipt: the address and an HMAC of it
 * under a site secret, so only a link we mailed unsubscribes that address.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../../db/database";
import * as repo from "../../repository";

export function createUnsubscribeLinks(db: Database) {
  let key: Promise<string> | undefined;
  const secret = () => {
    key ??= repo.siteSecret(db, "unsubscribe-links", randomBytes(32).toString("base64url")).catch((error) => {
      key = undefined; // a failed read is retried by the next caller, not remembered
      throw error;
    });
    return key;
  };
  const tokenFor = async (address: string) =>
    createHmac("sha256", await secret())
      .update(`unsubscribe:${address}`)
      .digest("base64url")
      .slice(0, 32);

  return {
    /** The link for `address`, under `base` (the public URL). */
    async url(base: string, address: string): Promise<string> {
      const a = Buffer.from(address).toString("base64url");
      return new URL(`/unsubscribe?a=${a}&t=${await tokenFor(address)}`, base).toString();
    },

    /** The address a link's parameters name, when its token is right. */
    async verify(a: string, t: string): Promise<string | undefined> {
      const address = Buffer.from(a, "base64url").toString("utf8");
      const expected = Buffer.from(await tokenFor(address));
      const given = Buffer.from(t);
      return given.length === expected.length && timingSafeEqual(given, expected) ? address : undefined;
    },

    /** Unsubscribes the address a valid link names; false when the link is not valid. */
    async unsubscribe(a: string, t: string): Promise<boolean> {
      const address = await this.verify(a, t);
      if (!address) return false;
      await repo.suppressAddress(db, address);
      return true;
    },
  };
}

export type UnsubscribeLinks = ReturnType<typeof createUnsubscribeLinks>;
