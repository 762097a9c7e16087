/**
 * Verified fans (issue 17 §1): a fan proves an email address with a six-digit code mailed to it, and gets a
 * fan token for 30 days. The token is self-verifying — the address and expiry under an HMAC with a site
 * secret — so checking it on a purchase costs no database read: the purchase path stays as fast as an open
 * drop's. Only an HMAC of each code is stored; codes die after 10 minutes (the injected clock) or five
 * wrong tries, and asking again replaces the code before.
 */
import { createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import type { Database } from "../../db/database";
import type { Logger } from "../../observability/logger";
import * as repo from "../../repository";
import type { Clock } from "../clock";
import { CodeExpired, CodeInvalid, RateLimited } from "../errors";
import type { Mailer } from "../messages/mailer";
import { identityKey, shownIdentity } from "../purchase/fan-identity";
import { codeEmail } from "./fan-emails";

/** A code lives this long. */
export const CODE_TTL_MS = 10 * 60_000;
/** Wrong tries that kill a code. */
export const CODE_MAX_TRIES = 5;
/** A fan token lives this long. */
export const TOKEN_TTL_MS = 30 * 24 * 3600_000;
/** The send limits' window, and how many codes one address and one client address may ask for in it. */
export const SEND_WINDOW_MS = 10 * 60_000;
export const SENDS_PER_ADDRESS = 3;
/** Generous: fans behind one venue's or carrier's NAT share an address. */
export const SENDS_PER_CLIENT = 30;

/** A fan who proved an address: `fan` is the per-fan key, `email` the address as shown. */
export interface VerifiedFan {
  fan: string;
  email: string;
  expiresAt: Date;
}

export interface FanSession {
  fanToken: string;
  email: string;
  expiresAt: Date;
}

export interface VerifiedFansDeps {
  db: Database;
  mailer: Mailer;
  clock: Clock;
  log?: Logger | undefined;
  /** The sender's name on code emails; the site's name when absent. */
  siteName?: string;
}

const TOKEN_PREFIX = "dff1";
/** The site secret (site_secrets.name) fan tokens are signed with. */
export const FAN_TOKEN_SECRET = "fan-tokens";

const macOf = (key: string, text: string) => createHmac("sha256", key).update(text).digest("base64url");

/**
 * A fan token for `email` until `expiresAt`, signed with `key` (the site secret FAN_TOKEN_SECRET): the
 * address and expiry, and an HMAC over both. Whoever holds the key can mint one (the bench does, to
 * measure a verified drop's purchase path without a mailbox round trip per fan).
 */
export function signFanToken(key: string, email: string, expiresAt: Date): string {
  const payload = `${Buffer.from(email).toString("base64url")}.${Math.floor(expiresAt.getTime() / 1000)}`;
  return `${TOKEN_PREFIX}.${payload}.${macOf(key, `fan-token:${payload}`)}`;
}

export function createVerifiedFans(deps: VerifiedFansDeps) {
  const { db, clock } = deps;
  let secretRead: Promise<string> | undefined;
  let secretKnown: string | undefined;
  const secret = async (): Promise<string> => {
    if (secretKnown !== undefined) return secretKnown;
    secretRead ??= repo.siteSecret(db, FAN_TOKEN_SECRET, randomBytes(32).toString("base64url")).then(
      (value) => {
        secretKnown = value;
        return value;
      },
      (error: unknown) => {
        secretRead = undefined; // a failed read is retried by the next caller
        throw error;
      },
    );
    return secretRead;
  };
  const mac = macOf;
  const codeHash = async (fan: string, code: string) => mac(await secret(), `code:${fan}:${code}`);
  /** Mail in flight, so a test or a shutdown can wait for it. */
  const sending = new Set<Promise<void>>();
  /**
   * The Stress Test's own mailboxes, by run: a rehearsal's fans get their codes here, in this process's
   * memory, never through the mailer (so never into a real inbox), and the run reads them back.
   */
  const rehearsalMail = new Map<string, Map<string, string>>();

  /** The fan a token names, when its signature holds and it has not expired; memory only once the key is read. */
  function verifyWith(key: string, token: string): VerifiedFan | undefined {
    const parts = token.split(".");
    if (parts.length !== 4 || parts[0] !== TOKEN_PREFIX) return undefined;
    const [, address = "", expiry = "", signature = ""] = parts;
    const expected = Buffer.from(mac(key, `fan-token:${address}.${expiry}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const expiresAt = new Date(Number(expiry) * 1000);
    if (!(expiresAt.getTime() > clock())) return undefined;
    const email = Buffer.from(address, "base64url").toString("utf8");
    // The key (a confusables skeleton, tens of µs) only when asked: the purchase makes its own from `email`.
    let fanKey: string | undefined;
    return {
      get fan() {
        fanKey ??= identityKey(email);
        return fanKey;
      },
      email,
      expiresAt,
    };
  }

  return {
    /**
     * Mails a fresh code to `email` (kept in the dev mailbox without SMTP) and answers when it expires. The
     * answer is the same for any address. RateLimited (429) past the per-address or per-client limit.
     */
    async requestCode(
      email: string,
      client: string,
      options: { rehearsalRun?: string | undefined } = {},
    ): Promise<{ expiresAt: Date }> {
      const shown = shownIdentity(email);
      const fan = identityKey(shown);
      const now = clock();
      const sends = await repo.countCodeSends(db, fan, client, new Date(now - SEND_WINDOW_MS));
      const waitFor = (oldest: Date | null) =>
        Math.max(1, Math.ceil(((oldest?.getTime() ?? now) + SEND_WINDOW_MS - now) / 1000));
      if (sends.byFan >= SENDS_PER_ADDRESS) {
        throw new RateLimited(waitFor(sends.oldestByFan), "Too many codes asked for this email address.");
      }
      // The Stress Test's own fans all come from this server's address: the per-client limit is for people.
      if (sends.byClient >= SENDS_PER_CLIENT && !options.rehearsalRun)
        throw new RateLimited(waitFor(sends.oldestByClient));
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      const expiresAt = new Date(now + CODE_TTL_MS);
      await repo.insertFanCode(db, {
        fan,
        client,
        codeHash: await codeHash(fan, code),
        createdAt: new Date(now),
        expiresAt,
      });
      const rehearsal = options.rehearsalRun ? rehearsalMail.get(options.rehearsalRun) : undefined;
      if (options.rehearsalRun) {
        // A rehearsal's code goes to the run's own mailbox only (a run this process no longer knows: nowhere).
        rehearsal?.set(shown, code);
        return { expiresAt };
      }
      // Sent after the answer: how long the SMTP server takes must not tell whether an address is known,
      // nor keep the fan waiting. A lost code is asked for again.
      const mail = codeEmail(code, deps.siteName ?? "Dropfront Live");
      const sent = deps.mailer
        .send({ deliveryId: randomUUID(), to: shown, ...mail, headers: {} })
        .catch((error: unknown) => deps.log?.warn({ err: error }, "a fan's email code could not be sent"))
        .finally(() => sending.delete(sent));
      sending.add(sent);
      return { expiresAt };
    },

    /** Trades a right code for a fan token (30 days). CodeInvalid (422) or CodeExpired (422). */
    async startSession(email: string, code: string): Promise<FanSession> {
      const shown = shownIdentity(email);
      const fan = identityKey(shown);
      const found = await repo.latestFanCode(db, fan);
      const now = clock();
      if (!found || found.usedAt || found.wrongTries >= CODE_MAX_TRIES || found.expiresAt.getTime() <= now) {
        throw new CodeExpired();
      }
      const given = Buffer.from(await codeHash(fan, code));
      const expected = Buffer.from(found.codeHash);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        const tries = await repo.countWrongTry(db, found.id, CODE_MAX_TRIES);
        if (tries === undefined || tries >= CODE_MAX_TRIES) throw new CodeExpired();
        throw new CodeInvalid(CODE_MAX_TRIES - tries);
      }
      if (!(await repo.useFanCode(db, found.id, new Date(now), CODE_MAX_TRIES))) throw new CodeExpired();
      const expiresAt = new Date(Math.floor((now + TOKEN_TTL_MS) / 1000) * 1000);
      return { fanToken: signFanToken(await secret(), shown, expiresAt), email: shown, expiresAt };
    },

    /** The fan a token names, or undefined (bad signature, expired, malformed). No database read once warm. */
    async verify(token: string): Promise<VerifiedFan | undefined> {
      return verifyWith(secretKnown ?? (await secret()), token);
    },

    /** Opens the Stress Test run's own mailbox; codes asked for by its fans are kept there until closed. */
    openRehearsalMailbox(runId: string): { code(email: string): string | undefined; close(): void } {
      const box = new Map<string, string>();
      rehearsalMail.set(runId, box);
      return {
        code: (email) => box.get(shownIdentity(email)),
        close: () => {
          rehearsalMail.delete(runId);
        },
      };
    },

    /** Resolves once every code email asked for so far was handed to the mailer (tests, shutdown). */
    async settled(): Promise<void> {
      await Promise.all([...sending]);
    },
  };
}

export type VerifiedFans = ReturnType<typeof createVerifiedFans>;
