import { createHash, randomBytes } from "node:crypto";
import type { Database } from "../../db/database";
import * as repo from "../../repository";
import { NotFound, TooManyAttempts, Unauthorized } from "../errors";
import type { Seller } from "../types";
import { hashPassword, verifyPassword } from "./secrets";
import { SignInThrottle } from "./sign-in-throttle";

/** How long a sign-in lasts. Fixed, not sliding: a stolen cookie stops working on a known date. */
export const SESSION_TTL_SECONDS = 14 * 24 * 3600;

/** The message never says which of the two was wrong, so it cannot be used to find registered emails. */
export const WRONG_CREDENTIALS = "Email or password is wrong.";

// Unknown emails still pay for one scrypt run, so response time does not reveal who has an account.
let decoyHash: Promise<string> | undefined;
const decoy = () => {
  // A full hashing queue refuses this too: forget the failed attempt so the next sign-in makes it again.
  decoyHash ??= hashPassword(randomBytes(16).toString("hex")).catch((error: unknown) => {
    decoyHash = undefined;
    throw error;
  });
  return decoyHash;
};

/** Session tokens have 256 bits of entropy, so storing their SHA-256 (not scrypt) is enough. */
export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Password sign-in and database-backed sessions for sellers.
 * @example const token = await accounts.startSession(await accounts.checkPassword(email, password))
 */
export function createSellerAccounts(db: Database, throttle = new SignInThrottle(db)) {
  return {
    /**
     * The seller with this email and password, or Unauthorized with the same message either way;
     * TooManyAttempts while `client` (its address) is backing off after wrong passwords (checked before
     * any hashing, see SignInThrottle); HashingBusy when too many checks are under way. A client or account
     * that has been failing queues in the suspect lane, behind clean sign-ins (see secrets.ts).
     */
    async checkPassword(email: string, password: string, client: string): Promise<Seller> {
      const { retryAfterSeconds, clean } = await throttle.check(email, client);
      if (retryAfterSeconds > 0) throw new TooManyAttempts(retryAfterSeconds);
      const found = await repo.findSellerCredentials(db, email);
      const lane = clean ? "clean" : "suspect";
      const ok = await verifyPassword(password, found?.passwordHash ?? (await decoy()), client, lane);
      if (!found || !ok) {
        await throttle.failed(email, client);
        throw new Unauthorized(WRONG_CREDENTIALS);
      }
      await throttle.succeeded(email, client);
      return found.seller;
    },

    /**
     * Opens a new session and returns its token, ending `previousToken`'s session if one is given: the
     * identifier changes at every sign-in, so a token planted before sign-in (fixation) is worthless after.
     */
    async startSession(seller: Seller, previousToken?: string): Promise<string> {
      if (previousToken) await repo.deleteSellerSession(db, hashSessionToken(previousToken));
      await repo.deleteExpiredSellerSessions(db, seller.id);
      const token = randomBytes(32).toString("base64url");
      await repo.insertSellerSession(db, {
        tokenHash: hashSessionToken(token),
        sellerId: seller.id,
        ttlSeconds: SESSION_TTL_SECONDS,
      });
      return token;
    },

    async sellerForSession(token: string): Promise<Seller | undefined> {
      return repo.findSessionSeller(db, hashSessionToken(token));
    },

    async endSession(token: string): Promise<void> {
      await repo.deleteSellerSession(db, hashSessionToken(token));
    },

    /**
     * A new random password for the seller with `email`, returned once and stored only hashed; every
     * session of the seller ends. NotFound when no seller has the email (`npm run seller:reset -- EMAIL`).
     */
    async resetPassword(email: string): Promise<string> {
      const password = randomBytes(12).toString("base64url");
      if (!(await repo.updateSellerPassword(db, email, await hashPassword(password))))
        throw new NotFound("seller");
      await repo.deleteSessionsOfEmail(db, email);
      return password;
    },
  };
}

export type SellerAccounts = ReturnType<typeof createSellerAccounts>;
