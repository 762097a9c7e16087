/**
 * "Email me at go-live" (issue 17 §4). A fan leaves an address on an upcoming drop's page; the first email
 * carries a link that confirms it (an address already proven by a fan token is confirmed at once). At
 * go-live every confirmed fan gets one email. The sender is a loop of its own, beside the outbox's
 * dispatcher: it leases due signups (a conditional UPDATE, DSQL-compatible), sends them one batch at a time
 * — the pace the SMTP server takes — and marks each sent. Nothing of it runs on the purchase path, so
 * go-live is not slowed; two processes never mail one signup at once (the lease), and a process killed
 * mid-send leaves the lease to run out and the email to be sent again (at least once, as the outbox).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Database } from "../../db/database";
import type { Logger } from "../../observability/logger";
import type { NotifySignup } from "../../repository";
import * as repo from "../../repository";
import { NotFound, NotLive } from "../errors";
import type { Mailer } from "../messages/mailer";
import { identityKey, shownIdentity } from "../purchase/fan-identity";
import { isRetryableConflict } from "../purchase/retry";
import type { Drop } from "../types";
import { confirmNotifyEmail, liveEmail } from "./fan-emails";

export interface NotifyMeDeps {
  db: Database;
  mailer: Mailer;
  log?: Logger | undefined;
  /** Absolute links in the emails. */
  links: {
    drop(slug: string): string;
    confirm(slug: string, signupId: string, token: string): string;
    unsubscribe(address: string): Promise<string>;
  };
  /** Signups leased per tick (and sent at once); 16 by default. */
  batch?: number;
  /** How long a lease lasts; a send that outlives it may be repeated by another process. */
  leaseMs?: number;
  /** Wait before a failed send is tried again. */
  retryMs?: number;
}

export function createNotifyMe(deps: NotifyMeDeps) {
  const { db, log } = deps;
  const owner = randomUUID();
  const batch = deps.batch ?? 16;
  const leaseMs = deps.leaseMs ?? 60_000;
  const retryMs = deps.retryMs ?? 30_000;
  let key: Promise<string> | undefined;
  const secret = () => {
    key ??= repo.siteSecret(db, "notify-links", randomBytes(32).toString("base64url")).catch((error) => {
      key = undefined;
      throw error;
    });
    return key;
  };
  const tokenFor = async (signupId: string) =>
    createHmac("sha256", await secret())
      .update(`notify:${signupId}`)
      .digest("base64url")
      .slice(0, 32);
  const sending = new Set<Promise<void>>();

  async function mailConfirmation(drop: Drop, shopName: string, signup: NotifySignup): Promise<void> {
    const url = deps.links.confirm(drop.slug, signup.id, await tokenFor(signup.id));
    const mail = confirmNotifyEmail({ title: drop.title, shopName }, url);
    const sent = deps.mailer
      .send({ deliveryId: randomUUID(), to: signup.email, ...mail, headers: {} })
      .catch((error: unknown) => log?.warn({ err: error }, "a notify-me confirmation could not be sent"))
      .finally(() => sending.delete(sent));
    sending.add(sent);
  }

  return {
    /**
     * Signs `email` up for `drop`'s go-live email: one signup per fan (address key) and drop; asking again
     * changes nothing (and sends no second email). `verifiedEmail`: the address a fan token proves, which
     * needs no confirmation link. NotLive is never thrown; a live or cancelled drop refuses (NotFound-like).
     */
    async signUp(
      drop: Drop,
      shopName: string,
      email: string,
      options: { verifiedEmail?: string | undefined; upcoming: boolean },
    ): Promise<{ confirmed: boolean }> {
      if (!options.upcoming) throw new NotLive(drop.startsAt);
      const shown = shownIdentity(email);
      const fan = identityKey(shown);
      const { signup, created } = await repo.addNotifySignup(db, { dropId: drop.id, fan, email: shown });
      if (!signup.confirmed && options.verifiedEmail && identityKey(options.verifiedEmail) === fan) {
        await repo.confirmNotifySignup(db, signup.id);
        return { confirmed: true };
      }
      if (created && !signup.confirmed) await mailConfirmation(drop, shopName, signup);
      return { confirmed: signup.confirmed };
    },

    /** Confirms the signup a link names; NotFound when the link is not one we mailed. */
    async confirm(signupId: string, token: string): Promise<NotifySignup> {
      const expected = Buffer.from(await tokenFor(signupId));
      const given = Buffer.from(token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new NotFound("signup");
      const signup = await repo.confirmNotifySignup(db, signupId);
      if (!signup) throw new NotFound("signup");
      return signup;
    },

    /**
     * One pass of the go-live sender: leases due signups, mails each (skipping unsubscribed addresses),
     * marks it sent. Answers how many were sent. Safe to run in any number of processes at once.
     */
    async tick(): Promise<number> {
      // Another process leasing the same rows at snapshot isolation makes this one fail (40001): they are
      // theirs to send, and this pass ends without them.
      const due = await repo.leaseDueNotifications(db, owner, leaseMs, batch).catch((error: unknown) => {
        if (isRetryableConflict(error)) return [];
        throw error;
      });
      const results = await Promise.all(
        due.map(async (signup) => {
          try {
            if (await repo.isSuppressed(db, signup.email)) {
              await repo.markNotified(db, signup.id, owner);
              return 0;
            }
            const unsubscribe = await deps.links.unsubscribe(signup.email);
            const mail = liveEmail(
              { title: signup.title, shopName: signup.shopName },
              deps.links.drop(signup.slug),
              unsubscribe,
            );
            await deps.mailer.send({
              // The signup's id: the dev mailbox keeps one copy even if a lost lease sends it twice.
              deliveryId: signup.id,
              to: signup.email,
              ...mail,
              headers: {
                "List-Unsubscribe": `<${unsubscribe}>`,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
              },
            });
            await repo.markNotified(db, signup.id, owner);
            return 1;
          } catch (error) {
            log?.warn({ err: error }, "a go-live email could not be sent; it will be tried again");
            await repo.retryNotificationLater(db, signup.id, owner, retryMs).catch(() => undefined);
            return 0;
          }
        }),
      );
      return results.reduce<number>((sum, n) => sum + n, 0);
    },

    /** Ticks every `everyMs` until stopped; a pass that finds a full batch goes again at once. */
    start(everyMs: number): { stop(): void } {
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const loop = async () => {
        let full = false;
        try {
          full = (await this.tick()) >= batch;
        } catch (error) {
          log?.warn({ err: error }, "the go-live sender's pass failed");
        }
        if (!stopped) timer = setTimeout(loop, full ? 0 : everyMs);
      };
      timer = setTimeout(loop, everyMs);
      return {
        stop() {
          stopped = true;
          if (timer) clearTimeout(timer);
        },
      };
    },

    /** Resolves once every confirmation email asked for so far was handed to the mailer (tests). */
    async settled(): Promise<void> {
      await Promise.all([...sending]);
    },
  };
}

export type NotifyMe = ReturnType<typeof createNotifyMe>;
