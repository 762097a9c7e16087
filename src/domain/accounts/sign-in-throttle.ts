import type { Database } from "../../db/database";
import * as repo from "../../repository";

/**
 * How hard a client must wait after wrong passwords. OWASP ASVS 4.0 V2.2.1 asks for anti-automation
 * (throttling, backoff) that does not turn into a lockout anyone can trigger: so the count is kept per
 * client and account, and per client across accounts (password spraying), never per account alone. A
 * client that has not been failing always gets its password checked, whatever others did to the account.
 */
export const SIGN_IN_POLICY = {
  /** Failures counted, and the longest wait: the last 15 minutes. */
  windowMs: 15 * 60_000,
  /** Wrong passwords one client may try on one account before waiting... */
  freePerAccount: 5,
  /** ...and on all accounts together. */
  freePerClient: 20,
  /** The first wait after the free tries; it doubles with each further failure, up to the window. */
  firstWaitMs: 1000,
  /** Old rows deleted per sign-in failure, so the table holds about one window of failures. */
  pruneBatch: 100,
  /**
   * An account with this many failures in the window, from all clients together, is under attack: its
   * sign-ins no longer count as clean (see `SignInCheck.clean`). A seller's own typos stay well below it.
   */
  accountUnderAttack: 20,
};

export type SignInPolicy = typeof SIGN_IN_POLICY;

export interface SignInCheck {
  /** Seconds until the client may try the account again; 0: now. */
  retryAfterSeconds: number;
  /** No recent failure from this client, and the account is not under attack. */
  clean: boolean;
}

/** The wait after `failures` failures (the latest at `last`) when `free` of them cost nothing. */
function waitUntil(failures: number, last: Date | null, free: number, policy: SignInPolicy): number {
  if (failures < free || last === null) return 0;
  const wait = Math.min(policy.windowMs, policy.firstWaitMs * 2 ** (failures - free));
  return last.getTime() + wait;
}

/**
 * Failed sign-ins in the database (table sign_in_failures), so that every app process behind a load
 * balancer sees the same counts (issue 8 §3) and a restart forgets nothing. Each failure is a new row
 * and a right password deletes its client-and-account rows: no row is ever updated, so concurrent
 * sign-ins never conflict (DSQL's optimistic concurrency has nothing to abort).
 * @example if ((await throttle.retryAfterSeconds(email, client)) > 0) throw new TooManyAttempts(...)
 */
export class SignInThrottle {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
    private readonly policy: SignInPolicy = SIGN_IN_POLICY,
  ) {}

  /** Seconds until this client may try this account again, or 0 when it may try now. */
  async retryAfterSeconds(email: string, client: string): Promise<number> {
    return (await this.check(email, client)).retryAfterSeconds;
  }

  /**
   * Whether this client may try this account now, and whether the attempt is clean: neither the client
   * nor the account has been failing lately. Clean sign-ins get the hashing capacity kept for them
   * (secrets.ts), so a flood of wrong passwords queues behind its own kind and costs its senders.
   */
  async check(email: string, client: string): Promise<SignInCheck> {
    const now = this.now();
    const recent = await repo.recentSignInFailures(
      this.db,
      email,
      client,
      new Date(now - this.policy.windowMs),
    );
    const until = Math.max(
      waitUntil(recent.pair, recent.pairLast, this.policy.freePerAccount, this.policy),
      waitUntil(recent.client, recent.clientLast, this.policy.freePerClient, this.policy),
    );
    return {
      retryAfterSeconds: until > now ? Math.ceil((until - now) / 1000) : 0,
      clean: recent.client === 0 && recent.account < this.policy.accountUnderAttack,
    };
  }

  async failed(email: string, client: string): Promise<void> {
    const now = this.now();
    await repo.insertSignInFailure(this.db, email, client, new Date(now));
    await repo.pruneSignInFailures(this.db, new Date(now - this.policy.windowMs), this.policy.pruneBatch);
  }

  /** A right password: this client's failures on this account are forgiven. */
  async succeeded(email: string, client: string): Promise<void> {
    await repo.deleteSignInFailures(this.db, email, client);
  }
}
