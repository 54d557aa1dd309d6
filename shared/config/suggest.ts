/** Edit distance (insert, delete, substitute one character) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate a mistyped name most likely meant: at most 2 edits away ignoring case (1 for
 * names under 6 characters, so "zz" does not suggest "a"), or one that starts with the name or
 * that the name starts with (3 characters at least). Undefined when none is close.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const typed = name.toLowerCase();
  const limit = typed.length < 6 ? 1 : 2;
  let best: { name: string; score: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const lower = candidate.toLowerCase();
    const distance = editDistance(typed, lower);
    const prefix = Math.min(typed.length, lower.length) >= 3 && (lower.startsWith(typed) || typed.startsWith(lower));
    if (distance > limit && !prefix) continue;
    // A prefix match ranks after any close edit, and among prefixes the shortest extension wins.
    const score = distance <= limit ? distance : limit + 1 + Math.abs(lower.length - typed.length);
    if (!best || score < best.score) best = { name: candidate, score };
  }
  return best?.name;
}

/** ` (did you mean "x"?)` for the closest candidate, or an empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closestName(name, candidates);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
