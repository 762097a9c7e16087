/**
 * Latencies kept as counts in fixed log-linear buckets instead of one sample per request, so a run of
 * millions of attempts costs the same 16 KB as a run of ten. Every bucket is at most 1/64 of its value
 * wide, so a percentile read back is within about 1.6 % of the true one; values are whole microseconds
 * from 0 to about 71 minutes (larger ones are counted in the last bucket).
 *
 * @example
 * const h = new LatencyHistogram();
 * h.record(3.2); h.record(12);
 * h.percentile(0.5); // ≈ 3.2 (milliseconds)
 */
/** A histogram's state as structured-cloneable data. */
export interface HistogramData {
  counts: Float64Array;
  count: number;
  sumMicros: number;
  maxMicros: number;
}

export class LatencyHistogram {
  /** Below 2 × SUB every microsecond has its own bucket; above, each power of two is split into SUB. */
  static readonly #SUB = 64;
  static readonly #MAX_MICROS = 0xffff_ffff;
  readonly #counts = new Float64Array(2 * LatencyHistogram.#SUB + 26 * LatencyHistogram.#SUB);
  #count = 0;
  #sumMicros = 0;
  #maxMicros = 0;

  /** Adds one latency, in milliseconds (fractions allowed). */
  record(milliseconds: number): void {
    const micros = Math.min(LatencyHistogram.#MAX_MICROS, Math.max(0, Math.round(milliseconds * 1000)));
    this.#counts[LatencyHistogram.#indexOf(micros)]! += 1;
    this.#count += 1;
    this.#sumMicros += micros;
    if (micros > this.#maxMicros) this.#maxMicros = micros;
  }

  /** The histogram as plain data, to cross a thread or process boundary (see `LatencyHistogram.from`). */
  toData(): HistogramData {
    return {
      counts: this.#counts.slice(),
      count: this.#count,
      sumMicros: this.#sumMicros,
      maxMicros: this.#maxMicros,
    };
  }

  /** A histogram rebuilt from `toData()`. */
  static from(data: HistogramData): LatencyHistogram {
    const histogram = new LatencyHistogram();
    histogram.#counts.set(data.counts);
    histogram.#count = data.count;
    histogram.#sumMicros = data.sumMicros;
    histogram.#maxMicros = data.maxMicros;
    return histogram;
  }

  /** Adds every latency another histogram holds. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i]! += other.#counts[i]!;
    this.#count += other.#count;
    this.#sumMicros += other.#sumMicros;
    this.#maxMicros = Math.max(this.#maxMicros, other.#maxMicros);
  }

  get count(): number {
    return this.#count;
  }

  /** Mean in milliseconds, or null when nothing was recorded. */
  get mean(): number | null {
    return this.#count === 0 ? null : this.#sumMicros / this.#count / 1000;
  }

  /** Largest latency in milliseconds (exact), or null when nothing was recorded. */
  get max(): number | null {
    return this.#count === 0 ? null : this.#maxMicros / 1000;
  }

  /**
   * The latency below which `fraction` of the recorded ones fall (0.5 for the median, 0.99 for p99), in
   * milliseconds, or null when nothing was recorded. Answers the middle of the bucket it lands in.
   */
  percentile(fraction: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, fraction)) * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(LatencyHistogram.#middleOf(i), this.#maxMicros) / 1000;
    }
    return this.#maxMicros / 1000;
  }

  static #indexOf(micros: number): number {
    const sub = LatencyHistogram.#SUB;
    if (micros < 2 * sub) return micros;
    // Shift so the value lands in [SUB, 2 × SUB): the shift says which power of two, the rest which slice.
    const shift = 31 - Math.clz32(micros) - Math.log2(sub);
    return 2 * sub + (shift - 1) * sub + ((micros >>> shift) - sub);
  }

  static #middleOf(index: number): number {
    const sub = LatencyHistogram.#SUB;
    if (index < 2 * sub) return index;
    const shift = Math.floor((index - 2 * sub) / sub) + 1;
    const top = ((index - 2 * sub) % sub) + sub;
    return top * 2 ** shift + 2 ** (shift - 1);
  }
}
