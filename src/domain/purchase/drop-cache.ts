import type { Drop } from "../types";
import { MAX_VARIANTS } from "./variants";
import type { WinnerKeys } from "./winner-keys";

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
 * All are bounded; `forgetSoldOut` is the hook for a future where stock can come back (cancellations).
 */
export class DropCache {
  readonly #byRef = new Map<string, Drop>();
  readonly #soldOut = new Set<string>();
  readonly #winners = new Map<string, { keys: WinnerKeys | undefined }>();

  constructor(private readonly capacity = 10_000) {}

  get(ref: string): Drop | undefined {
    return this.#byRef.get(isUuid(ref) ? ref.toLowerCase() : ref);
  }

  remember(drop: Drop): void {
    if (this.#byRef.size >= this.capacity * 2) this.#byRef.clear();
    this.#byRef.set(drop.id, drop);
    this.#byRef.set(drop.slug, drop);
  }

  /** Whether the variant (its position; 0 for a drop made without variants) is known sold out. */
  isSoldOut(dropId: string, variant = 0): boolean {
    return this.#soldOut.has(soldOutKey(dropId, variant));
  }

  markSoldOut(dropId: string, variant = 0): void {
    if (this.#soldOut.size >= this.capacity) this.#soldOut.clear();
    this.#soldOut.add(soldOutKey(dropId, variant));
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
    dropId = soldOutKey(dropId, variant);
    const known = this.#winners.get(dropId);
    if (known) return known.keys;
    if (this.#winners.size >= WINNER_INDEXES) this.#winners.delete(this.#winners.keys().next().value!);
    const entry: { keys: WinnerKeys | undefined } = { keys: undefined };
    this.#winners.set(dropId, entry);
    load().then(
      (keys) => {
        entry.keys = keys;
      },
      () => {
        if (this.#winners.get(dropId) === entry) this.#winners.delete(dropId);
      },
    );
    return undefined;
  }
}
