/**
 * Failed sign-ins per email, so nobody can guess a seller's password at the speed of the network. After
 * `maxFailures` wrong passwords within `windowMs` the email is refused until the oldest failure ages out;
 * a right password clears the count. Kept in memory (bounded), per process: enough to make guessing slow,
 * and nothing to clean up.
 */
export class SignInThrottle {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
    private readonly capacity = 100_000,
  ) {}

  /** Seconds until this email may try again, or 0 when it may try now. */
  retryAfterSeconds(email: string): number {
    const recent = this.#recent(email);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((recent[0]! + this.windowMs - this.now()) / 1000));
  }

  failed(email: string): void {
    if (!this.#failures.has(email) && this.#failures.size >= this.capacity) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
    this.#failures.set(email, [...this.#recent(email), this.now()]);
  }

  succeeded(email: string): void {
    this.#failures.delete(email);
  }

  #recent(email: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.#failures.get(email) ?? []).filter((at) => at > since).slice(-this.maxFailures);
  }
}
