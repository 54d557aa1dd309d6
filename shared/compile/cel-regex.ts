/**
 * CEL's `matches` is RE2; cel-js runs it as `new RegExp(pattern)` (no flags). The compiled code may
 * only answer where the two agree, so a constant pattern is precompiled when it lies in a subset
 * both read the same way, and the rest stays with the interpreter.
 *
 * The subset: literal characters of the Basic Multilingual Plane (no surrogates), escaped
 * punctuation, `\d \w \s \D \W \S \b \B \n \t \r \f \v`, `.`, `^ $ |`, groups `( )` and `(?: )`,
 * classes `[...]` and `[^...]` of literals, ranges and `\d \w \s`, and the quantifiers `* + ?` and
 * `{n}`, `{n,}`, `{n,m}` (their bounds summing to at most 1000, no counted repeat of a group holding
 * one, groups nested at most 100 deep), each optionally lazy.
 * Without the `u` flag and with no case folding `\d \w \b` are ASCII in both. Where they still
 * differ it is on the subject: `.` (JS skips `\r`, U+2028 and U+2029, and reads a surrogate pair as
 * two characters), negated classes and `\B` (a surrogate pair again) and `\s` (JS adds `\v` and
 * Unicode spaces). For those the plan carries a guard: a subject that holds any such character bails.
 */
export interface RegexPlan {
  /** The pattern as cel-js compiles it. */
  readonly regex: RegExp;
  /** Characters on which RE2 and JS read this pattern differently; a subject containing one bails. */
  readonly guard: RegExp | undefined;
}

const SURROGATES = '\\uD800-\\uDFFF';
const DOT_ONLY_JS = '\\r\\u2028\\u2029';
const SPACE_ONLY_JS = '\\v\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';
const ESCAPED_PUNCTUATION = '\\^$.|?*+()[]{}-/';
const QUANTIFIER = /^\{(\d{1,4})(,(\d{0,4}))?\}/;
const MAX_REPEAT = 1000;
const MAX_NESTING = 100;

interface Features {
  dot: boolean;
  negated: boolean;
  space: boolean;
}

/** The plan for a constant pattern, or undefined when RE2 and JS may read it differently. */
export function planRegex(pattern: string): RegexPlan | undefined {
  const features: Features = { dot: false, negated: false, space: false };
  if (!inSubset(pattern, features)) return undefined;
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch {
    return undefined;
  }
  let guard = '';
  if (features.dot) guard += DOT_ONLY_JS + SURROGATES;
  else if (features.negated) guard += SURROGATES;
  if (features.space) guard += SPACE_ONLY_JS;
  return { regex, guard: guard ? new RegExp(`[${guard}]`) : undefined };
}

function isPlainChar(code: number): boolean {
  return code < 0xd800 || (code > 0xdfff && code <= 0xffff);
}

/** Walks the pattern once; false at the first construct outside the subset. */
function inSubset(p: string, f: Features): boolean {
  // One entry per open group: does it hold a counted repeat (RE2 limits nested repetition)?
  const groups: boolean[] = [];
  let quantifiable = false;
  let lastGroupCounted = false;
  // RE2 expands counted repeats; keep their sum within its limit of 1000 for one.
  let repeats = 0;
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    let atomCounted = false;
    if (c === '\\') {
      const e = p[i + 1];
      if (e === undefined) return false;
      if (e === 'b') quantifiable = false;
      // JS also sees a position inside a surrogate pair, and \B holds there.
      else if (e === 'B') quantifiable = !(f.negated = true);
      else if ('dwntrfv'.includes(e) || ESCAPED_PUNCTUATION.includes(e)) quantifiable = true;
      else if (e === 'D' || e === 'W') quantifiable = f.negated = true;
      else if (e === 's') quantifiable = f.space = true;
      else if (e === 'S') quantifiable = f.space = f.negated = true;
      else return false;
      i += 2;
    } else if (c === '.') {
      quantifiable = f.dot = true;
      i++;
    } else if (c === '^' || c === '$' || c === '|') {
      quantifiable = false;
      i++;
    } else if (c === '(') {
      if (p[i + 1] === '?') {
        if (p[i + 2] !== ':') return false;
        i += 3;
      } else i++;
      groups.push(false);
      if (groups.length > MAX_NESTING) return false;
      quantifiable = false;
    } else if (c === ')') {
      const counted = groups.pop();
      if (counted === undefined) return false;
      if (counted && groups.length) groups[groups.length - 1] = true;
      lastGroupCounted = counted;
      quantifiable = true;
      i++;
      atomCounted = true;
    } else if (c === '*' || c === '+' || c === '?') {
      if (!quantifiable) return false;
      i += p[i + 1] === '?' ? 2 : 1;
      quantifiable = false;
    } else if (c === '{') {
      const m = QUANTIFIER.exec(p.slice(i));
      if (!m || !quantifiable) return false;
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : m[3] === '' ? lo : Number(m[3]);
      repeats += Math.max(lo, hi);
      if (repeats > MAX_REPEAT || hi < lo) return false;
      if (lastGroupCounted && p[i - 1] === ')') return false;
      if (groups.length) groups[groups.length - 1] = true;
      i += m[0].length + (p[i + m[0].length] === '?' ? 1 : 0);
      quantifiable = false;
    } else if (c === '[') {
      const end = classEnd(p, i + 1, f);
      if (end < 0) return false;
      i = end;
      quantifiable = true;
    } else if (c === ']' || c === '}') {
      return false;
    } else {
      if (!isPlainChar(c.charCodeAt(0))) return false;
      quantifiable = true;
      i++;
    }
    if (!atomCounted) lastGroupCounted = false;
  }
  return groups.length === 0;
}

/** The index after the class that starts at `i` (just after `[`), or -1 outside the subset. */
function classEnd(p: string, i: number, f: Features): number {
  if (p[i] === '^') {
    f.negated = true;
    i++;
  }
  // `[]…]` and `[^]…]` hold a `]` in RE2 but are an empty class in JS.
  if (p[i] === ']') return -1;
  const start = i;
  while (i < p.length && p[i] !== ']') {
    const single = classMember(p, i, f);
    if (single < 0) return -1;
    const next = i + (p[i] === '\\' ? 2 : 1);
    if (p[next] === '-' && p[next + 1] !== ']' && p[next + 1] !== undefined) {
      // A range needs a single character at both ends, and one starting at `-` reads differently.
      if (single === 0 || p[i] === '-') return -1;
      const hi = classMember(p, next + 1, f);
      if (hi <= 0 || hi < single) return -1;
      i = next + 1 + (p[next + 1] === '\\' ? 2 : 1);
    } else i = next;
  }
  if (i >= p.length || i === start) return -1;
  return i + 1;
}

/** The code of the single character a class member at `i` stands for, 0 for `\d \w \s`, -1 outside the subset. */
function classMember(p: string, i: number, f: Features): number {
  const c = p[i]!;
  if (c === '[') return -1; // RE2 reads `[:alpha:]` inside a class
  if (c === '-') return i === 0 || p[i - 1] === '[' || p[i + 1] === ']' ? c.charCodeAt(0) : -1;
  if (c !== '\\') return isPlainChar(c.charCodeAt(0)) ? c.charCodeAt(0) : -1;
  const e = p[i + 1];
  if (e === undefined) return -1;
  if (e === 'd' || e === 'w') return 0;
  if (e === 's') {
    f.space = true;
    return 0;
  }
  const controls: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11 };
  if (Object.hasOwn(controls, e)) return controls[e]!;
  return ESCAPED_PUNCTUATION.includes(e) ? e.charCodeAt(0) : -1;
}
