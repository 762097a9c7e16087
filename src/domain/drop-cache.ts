import type { Drop } from "./types";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/**
 * What this process knows about drops without asking the database again. A drop's terms never change
 * once created, so they are cached by id and by slug; "sold out" is remembered once the database has
 * shown every bucket at 0, so that later buyers are turned away without a transaction each.
 * Both are bounded; `forgetSoldOut` is the hook for a future where stock can come back (cancellations).
 */
export class DropCache {
  readonly #byRef = new Map<string, Drop>();
  readonly #soldOut = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  get(ref: string): Drop | undefined {
    return this.#byRef.get(isUuid(ref) ? ref.toLowerCase() : ref);
  }

  remember(drop: Drop): void {
    if (this.#byRef.size >= this.capacity * 2) this.#byRef.clear();
    this.#byRef.set(drop.id, drop);
    this.#byRef.set(drop.slug, drop);
  }

  isSoldOut(dropId: string): boolean {
    return this.#soldOut.has(dropId);
  }

  markSoldOut(dropId: string): void {
    if (this.#soldOut.size >= this.capacity) this.#soldOut.clear();
    this.#soldOut.add(dropId);
  }

  forgetSoldOut(dropId: string): void {
    this.#soldOut.delete(dropId);
  }
}
