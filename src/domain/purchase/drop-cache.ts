import { type Clock, systemClock } from "../clock";
import type { Drop } from "../types";
import { MAX_VARIANTS } from "./variants";
import type { WinnerKeys } from "./winner-keys";

/**
 * How long this process believes "sold out" without asking the database: a unit returned by another
 * process (refund, cancel) is on sale here within this long, at the cost of one statement per sold-out
 * drop per this interval under a stampede.
 */
export const SOLD_OUT_BELIEF_MS = 2000;

/** Sold-out drops whose winners' keys are kept in memory at once (each at most 8 MB). */
const WINNER_INDEXES = 16;

/** Sold-out memory is per variant: variant 0 (every drop made without variants) is the drop's id alone. */
const soldOutKey = (dropId: string, variant: number) => (variant === 0 ? dropId : `${dropId}#${variant}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/**
 * What this process knows about drops without asking the database again. Drops are cached by id and by
 * slug for finding them; their terms can change before go-live and their pause / cancel switches at any
 * time, so nothing that decides a purchase or a status is taken from here (the purchase statement and
 * `readStock` read those afresh), and an edit in this process refreshes the entry. "Sold out" is remembered once the database has
 * shown every bucket (of a variant) at 0, so that later buyers are turned away without a transaction each.
 * For a few sold-out drops it also keeps the winners' keys (`WinnerKeys`), so that a rejected buyer who
 * sends an idempotency key costs no query either.
 * All are bounded. Stock can come back (a seller's refund or cancel returns a unit, issue 18 §3), so "sold
 * out" is believed for `soldOutForMs` only (then one buyer asks the database again, and its answer is
 * believed anew), and at once no longer in the process that returned the unit (`forgetSoldOut`).
 */
export class DropCache {
  readonly #byRef = new Map<string, Drop>();
  /** Sold-out drops and when the database last showed them so, on `clock`. */
  readonly #soldOut = new Map<string, number>();
  readonly #winners = new Map<
    string,
    { keys: WinnerKeys | undefined; loading: Promise<WinnerKeys | undefined> }
  >();

  constructor(
    private readonly capacity = 10_000,
    private readonly clock: Clock = systemClock,
    private readonly soldOutForMs = SOLD_OUT_BELIEF_MS,
  ) {}

  get(ref: string): Drop | undefined {
    return this.#byRef.get(isUuid(ref) ? ref.toLowerCase() : ref);
  }

  remember(drop: Drop): void {
    if (this.#byRef.size >= this.capacity * 2) this.#byRef.clear();
    this.#byRef.set(drop.id, drop);
    this.#byRef.set(drop.slug, drop);
  }

  /**
   * Whether the variant (its position; 0 for a drop made without variants) is known sold out, lately. Once
   * the belief is older than `soldOutForMs`, the one caller that finds it so is told "not known" (it asks the
   * database) and the belief is renewed for everyone else meanwhile: otherwise every buyer of a stampede
   * that arrived before that answer went to the database too. On the embedded database that was 6 purchase
   * statements per expiry instead of 1, each holding the one thread (bench/embedded-soldout.ts). A unit
   * the asking buyer finds (a refund, a cancel elsewhere) ends the belief at once (`noteSale`).
   */
  isSoldOut(dropId: string, variant = 0): boolean {
    const key = soldOutKey(dropId, variant);
    const seen = this.#soldOut.get(key);
    if (seen === undefined) return false;
    const now = this.clock();
    if (now - seen < this.soldOutForMs) return true;
    this.#soldOut.set(key, now);
    return false;
  }

  markSoldOut(dropId: string, variant = 0): void {
    if (this.#soldOut.size >= this.capacity) this.#soldOut.clear();
    this.#soldOut.set(soldOutKey(dropId, variant), this.clock());
  }

  /**
   * A unit of the variant was sold: it was not sold out then (a unit came back, found by the buyer that
   * asked past the belief), and a winners' index loaded before it no longer knows every winner.
   */
  noteSale(dropId: string, variant = 0): void {
    if (this.#soldOut.size > 0) this.#soldOut.delete(soldOutKey(dropId, variant));
    if (this.#winners.size > 0) this.#winners.delete(soldOutKey(dropId, variant));
  }

  /** Forgets every variant of the drop. */
  forgetSoldOut(dropId: string): void {
    for (let variant = 0; variant < MAX_VARIANTS; variant++) {
      this.#soldOut.delete(soldOutKey(dropId, variant));
      this.#winners.delete(soldOutKey(dropId, variant));
    }
  }

  /**
   * The winners' keys of a sold-out drop once loaded. The first ask starts `load` in the background and,
   * like every ask until it finishes, gets undefined (the caller then asks the database); a failed load is
   * forgotten so that a later ask tries again.
   */
  winners(dropId: string, load: () => Promise<WinnerKeys>, variant = 0): WinnerKeys | undefined {
    return this.#entry(soldOutKey(dropId, variant), load).keys;
  }

  /**
   * The same index, waited for while it loads: one paged read of the keys instead of a key lookup per
   * rejected buyer meanwhile (on the embedded database's one connection those lookups queued behind each
   * other at the moment a drop sold out, and some buyers were answered busy). Undefined if the load failed.
   */
  loadedWinners(
    dropId: string,
    load: () => Promise<WinnerKeys>,
    variant = 0,
  ): Promise<WinnerKeys | undefined> {
    const entry = this.#entry(soldOutKey(dropId, variant), load);
    return entry.keys ? Promise.resolve(entry.keys) : entry.loading;
  }

  #entry(dropId: string, load: () => Promise<WinnerKeys>) {
    const known = this.#winners.get(dropId);
    if (known) return known;
    if (this.#winners.size >= WINNER_INDEXES) this.#winners.delete(this.#winners.keys().next().value!);
    const entry: { keys: WinnerKeys | undefined; loading: Promise<WinnerKeys | undefined> } = {
      keys: undefined,
      loading: Promise.resolve(undefined),
    };
    this.#winners.set(dropId, entry);
    entry.loading = load().then(
      (keys) => {
        entry.keys = keys;
        return keys;
      },
      () => {
        if (this.#winners.get(dropId) === entry) this.#winners.delete(dropId);
        return undefined;
      },
    );
    return entry;
  }
}
