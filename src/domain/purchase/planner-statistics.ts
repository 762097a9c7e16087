/**
 * Keeps the query planner's picture of `orders` in step with drops that are selling.
 *
 * Why: the purchase statement probes each member's idempotency key and fan on the unique indexes of
 * `orders`. A planner whose statistics have not seen a drop's orders (a fresh database, or a drop newer
 * than the last ANALYZE) estimates one row for every index that starts with drop_id and may pick the one
 * on (drop_id, created_at), which then filters the drop's whole order list for each probe: the statement's
 * work grows with the units sold (measured: 2.4 ms of PostgreSQL CPU per win at 8,000 sold, against 0.1 ms
 * with the right index). PostgreSQL keeps such a plan for the connection's life (a prepared statement's
 * generic plan) until statistics change; autovacuum would refresh them within a minute or so, PGlite never.
 * ANALYZE invalidates the cached plans, so the next statement is planned with the drop in view.
 *
 * When: a drop's first refresh comes after REFRESH_AFTER orders placed by this process, and the process
 * refreshes again each time its total doubles from there. One ANALYZE at a time; requests made while one
 * runs fold into a single next one. A failure is reported and the purchase path never waits for either.
 */
export const REFRESH_AFTER = 256;

export class PlannerStatistics {
  /** Orders placed by this process per drop, until the drop's first refresh is asked for. */
  readonly #pending = new Map<string, number>();
  readonly #refreshed = new Set<string>();
  #total = 0;
  #nextTotal = REFRESH_AFTER * 4;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly analyze: () => Promise<void>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** One order placed (not a replay) on `dropId`. */
  placed(dropId: string): void {
    this.#total++;
    let due = false;
    if (!this.#refreshed.has(dropId)) {
      const count = (this.#pending.get(dropId) ?? 0) + 1;
      if (count >= REFRESH_AFTER) {
        this.#pending.delete(dropId);
        this.#refreshed.add(dropId);
        due = true;
      } else this.#pending.set(dropId, count);
    }
    if (this.#total >= this.#nextTotal) {
      this.#nextTotal *= 2;
      due = true;
    }
    if (due) this.#refresh();
  }

  /** Resolves once no refresh is running or waiting (tests, and a drain that wants quiet). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #refresh(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.analyze()
      .catch(this.onError)
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.#refresh();
        }
      });
  }
}
