import { ConnectionUnavailable, type Database, isConnectionLost, sqlState } from "./database";

/** One regional endpoint of a multi-region cluster: its pool, and a cheap check that it answers at all. */
export interface FailoverMember {
  name: string;
  db: Database;
  /** Resolves when a fresh connection to this endpoint can run a statement, within a short timeout. */
  probe(): Promise<void>;
}

export interface EndpointSwitch {
  from: string;
  to: string;
  reason: "unreachable" | "recovered";
}

export interface FailoverOptions {
  /** How often an endpoint we moved away from is checked again, to move back when it answers. */
  recheckMs?: number;
  /** Told about every switch, for the log and metrics. */
  onSwitch?: (change: EndpointSwitch) => void;
}

export type FailoverDatabase = Database & {
  /** The endpoint statements go to now. */
  activeEndpoint(): string;
};

/**
 * Several endpoints of one strongly consistent database (Aurora DSQL multi-region): every statement goes to
 * the first ("local") endpoint while it answers. When it stops answering (connect errors, lost connections,
 * no connection in time) and a probe on a fresh connection confirms it, statements move to the next
 * endpoint that passes the probe, and move back once the local one passes it again.
 *
 * A statement that never reached the server (no connection could be made) is sent again on the new
 * endpoint. A statement whose connection broke mid-flight may have committed: its error is passed on
 * unchanged, so the purchase resolves it by idempotency key — on the surviving endpoint, which sees the same
 * data (DSQL's regions replicate synchronously). Nothing here decides a sale.
 */
export function failoverDatabase(members: FailoverMember[], options: FailoverOptions = {}): FailoverDatabase {
  if (members.length === 0) throw new Error("failover needs at least one endpoint");
  let active = 0;
  let switches = 0;
  let checking: Promise<void> | undefined;

  const switchTo = (index: number, reason: EndpointSwitch["reason"]) => {
    if (index === active) return;
    const from = members[active]!.name;
    active = index;
    switches++;
    options.onSwitch?.({ from, to: members[index]!.name, reason });
  };

  /** Confirms the active endpoint is down before leaving it: a single broken connection is not an outage. */
  const checkActive = (suspect: number): Promise<void> => {
    checking ??= (async () => {
      if (suspect !== active || (await answers(members[suspect]!))) return;
      for (let i = 0; i < members.length; i++) {
        if (i !== suspect && (await answers(members[i]!))) {
          switchTo(i, "unreachable");
          return;
        }
      }
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  const recheck = setInterval(() => {
    if (active === 0 || checking) return;
    checking = answers(members[0]!)
      .then((up) => {
        if (up) switchTo(0, "recovered");
      })
      .finally(() => {
        checking = undefined;
      });
  }, options.recheckMs ?? 5000);
  recheck.unref();

  const first = members[0]!.db;
  return {
    backend: first.backend,
    isolation: first.isolation,
    activeEndpoint: () => members[active]!.name,
    stats: () => ({
      connections: 0,
      idle: 0,
      waiting: 0,
      acquireTimeouts: 0,
      ...members[active]!.db.stats?.(),
      endpointSwitches: switches,
    }),
    async query(text, params, queryOptions) {
      const tried = active;
      try {
        return await members[tried]!.db.query(text, params, queryOptions);
      } catch (error) {
        if (!isUnreachable(error)) throw error;
        await checkActive(tried);
        if (active === tried || !neverReachedServer(error)) throw error;
        return members[active]!.db.query(text, params, queryOptions);
      }
    },
    async transaction(work) {
      const tried = active;
      try {
        return await members[tried]!.db.transaction(work);
      } catch (error) {
        // A transaction is never sent again here: its work may have run. The caller resolves it by key.
        if (isUnreachable(error)) await checkActive(tried);
        throw error;
      }
    },
    async close() {
      clearInterval(recheck);
      await checking?.catch(() => undefined);
      await Promise.all(members.map((m) => m.db.close()));
    },
  };
}

const answers = (member: FailoverMember) =>
  member.probe().then(
    () => true,
    () => false,
  );

function isUnreachable(error: unknown): boolean {
  return error instanceof ConnectionUnavailable || isConnectionLost(error);
}

/**
 * The statement was never sent: no connection was had, or the connection attempt itself failed. Resending
 * it elsewhere cannot run it twice. (A connection that broke after connecting may have carried it.)
 */
function neverReachedServer(error: unknown): boolean {
  if (error instanceof ConnectionUnavailable) return true;
  if (sqlState(error)) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENOTFOUND" || code === "ETIMEDOUT";
}
