/** Where two sequences of record start lines first part: the record's 0-based index and each side's line (undefined past its end). */
export interface FirstDifference {
  readonly index: number;
  readonly a: number | undefined;
  readonly b: number | undefined;
}

/** Irregular steps kept to locate a disagreement; beyond this only the hash compares (16 MiB at most). */
const MAX_STEPS = 1 << 20;

/**
 * An order-dependent running hash of a sequence of record start lines, in bounded memory.
 * Besides the hash it keeps the "irregular" steps (a start line that is not the previous one
 * plus 1: multi-line records, blank lines, a restart), so that two sequences that differ can
 * say at which record they first part without storing either. Most files have few such steps;
 * past `MAX_STEPS` of them the hash still compares but the first difference is located only
 * within the covered prefix.
 */
export class LineSequence {
  count = 0;
  private h1 = 0x811c9dc5;
  private h2 = 0x9e3779b9;
  private last = 0;
  /** Flattened pairs: record index, start line. */
  private readonly steps: number[] = [];
  /** Records before this index are exactly reconstructible from `steps`. */
  private covered = Infinity;

  add(line: number): void {
    if (line !== this.last + 1) {
      if (this.steps.length < MAX_STEPS * 2) this.steps.push(this.count, line);
      else if (this.covered === Infinity) this.covered = this.count;
    }
    // Two 32-bit FNV-style lanes over the line number's four bytes, then mixed by position.
    for (let v = line, k = 0; k < 4; k++, v = Math.floor(v / 256)) {
      const byte = v & 0xff;
      this.h1 = Math.imul(this.h1 ^ byte, 0x01000193);
      this.h2 = Math.imul(this.h2 ^ byte, 0x5bd1e995);
    }
    this.h1 = Math.imul(this.h1 ^ (this.h1 >>> 15), 0x2c1b3c6d);
    this.h2 = Math.imul(this.h2 ^ (this.h2 >>> 13), 0x297a2d39);
    this.last = line;
    this.count++;
  }

  /** Count and hash: equal values mean, with overwhelming odds, the same sequence. */
  get value(): string {
    return `${this.count}:${(this.h1 >>> 0).toString(16).padStart(8, '0')}${(this.h2 >>> 0).toString(16).padStart(8, '0')}`;
  }

  /** The start line of record `index`, when it is known exactly. */
  lineAt(index: number): number | undefined {
    if (index >= this.count || index >= this.covered) return undefined;
    // Binary search for the last irregular step at or before `index`.
    let lo = 0;
    let hi = this.steps.length / 2 - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.steps[mid * 2]! <= index) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at === -1) return index + 1;
    return this.steps[at * 2 + 1]! + (index - this.steps[at * 2]!);
  }

  /**
   * The first record where this sequence and `other` disagree, undefined when they are equal,
   * or `'unlocated'` when they differ beyond the part either could reconstruct.
   */
  firstDifference(other: LineSequence): FirstDifference | 'unlocated' | undefined {
    if (this.value === other.value) return undefined;
    const covered = Math.min(this.covered, other.covered);
    // Between two irregular steps of either side both advance by one line per record, so the
    // sequences can first part only at a step of one of them, or where the shorter one ends.
    const points = new Set<number>([0, Math.min(this.count, other.count)]);
    for (let i = 0; i < this.steps.length; i += 2) points.add(this.steps[i]!);
    for (let i = 0; i < other.steps.length; i += 2) points.add(other.steps[i]!);
    for (const p of [...points].sort((x, y) => x - y)) {
      if (p >= covered) break;
      if (p >= Math.max(this.count, other.count)) break;
      const a = this.lineAt(p);
      const b = other.lineAt(p);
      if (a !== b) return { index: p, a, b };
    }
    return 'unlocated';
  }
}
