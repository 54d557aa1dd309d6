import type { DatasetRule } from '../config/schema.js';
import type { Value } from '../rules/columns.js';
import { SlotCalendar } from '../rules/calendar.js';
import { MAX_SLOT_RANGES, type SlotCoverage } from '../rules/completeness.js';
import type { CompletenessGroup, DatasetRuleResult, SlotGap } from './job-report.js';

type CompletenessRule = Extract<DatasetRule, { type: 'completeness' }>;

/** Missing runs listed per group in report.json and report.html. */
export const GAPS_LISTED = 10;
/** Groups the detail names, lowest ratio first; report.json's `groups` has them all. */
const GROUPS_IN_DETAIL = 10;
/** Missing runs the detail names per group. */
const GAPS_IN_DETAIL = 3;

const pct = (r: number) => `${(r * 100).toFixed(2)}%`;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A missing run as the report shows it: `from … to (n slots)`, `to` being the start of its last slot; one slot shows once. */
export const gapText = (g: SlotGap): string => `${g.slots === 1 ? g.from : `${g.from} … ${g.to}`} (${plural(g.slots, 'slot')})`;

function groupOf(key: string, present: number, expected: number, exact: boolean, gapCount: number, gaps: SlotGap[]): CompletenessGroup {
  const values = JSON.parse(key) as Value[];
  const group = values.map((v) => (v === null ? 'null' : String(v))).join(', ');
  return { group, values, present, expected, ratio: expected === 0 ? 0 : present / expected, exact, gapCount, gaps };
}

/**
 * Each group of a merged coverage: distinct slots present of those from its first slot to its
 * last inclusive, and its first GAPS_LISTED missing runs. With a calendar only the slots it
 * expects count, present or missing (a weekend without rows is no gap). Lowest ratio first, then
 * by group. A group past MAX_SLOT_RANGES is approximate (`exact: false`, gapCount at least the bound).
 */
export function completenessGroups(coverage: SlotCoverage, calendar?: SlotCalendar): CompletenessGroup[] {
  const slot = (s: number) => new Date(s * coverage.intervalMs).toISOString();
  const expectedIn = (s: number, e: number) => (calendar ? calendar.count(s, e) : e - s);
  const out: { key: string; g: CompletenessGroup }[] = [];
  for (const [key, r] of Object.entries(coverage.ranges)) {
    if (r.length === 0) continue;
    const gaps: SlotGap[] = [];
    let gapCount = 0;
    let present = 0;
    for (let k = 0; k < r.length; k += 2) present += expectedIn(r[k]!, r[k + 1]!);
    for (let k = 1; k + 1 < r.length; k += 2) {
      for (const [s, e] of calendar ? calendar.runs(r[k]!, r[k + 1]!) : [[r[k]!, r[k + 1]!] as const]) {
        gapCount++;
        if (gaps.length < GAPS_LISTED) gaps.push({ from: slot(s), to: slot(e - 1), slots: e - s });
      }
    }
    out.push({ key, g: groupOf(key, present, expectedIn(r[0]!, r[r.length - 1]!), true, gapCount, gaps) });
  }
  for (const [key, [present, first, end]] of Object.entries(coverage.counted)) {
    const expected = expectedIn(first, end);
    // Only counted, so which present slots the calendar expects is not known: they are taken to
    // fall in it as its slots fall in the span (the group is marked approximate).
    const inCalendar = calendar && end > first ? Math.round((present * expected) / (end - first)) : present;
    out.push({ key, g: groupOf(key, Math.min(inCalendar, expected), expected, false, MAX_SLOT_RANGES, []) });
  }
  return out.sort((a, b) => a.g.ratio - b.g.ratio || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((x) => x.g);
}

function describeGroup(g: CompletenessGroup): string {
  const missing = g.gaps.slice(0, GAPS_IN_DETAIL).map(gapText).join(', ');
  const more = g.gapCount > GAPS_IN_DETAIL ? ` and ${plural(g.gapCount - GAPS_IN_DETAIL, 'more run')}` : '';
  const approximate = g.exact ? '' : `approximate: over ${MAX_SLOT_RANGES.toLocaleString('en-US')} gaps`;
  return [missing && `missing ${missing}${more}`, approximate].filter(Boolean).join(', ');
}

/**
 * Evaluates a completeness rule on the merged coverage: present distinct slots over expected
 * ones, summed over the groups; fails below `min` or when no slot was seen at all. The detail
 * names the groups (lowest ratio first) and their first missing runs.
 */
export function completenessResult(name: string, rule: CompletenessRule, coverage: SlotCoverage | undefined): DatasetRuleResult {
  const groups = coverage ? completenessGroups(coverage, rule.calendar && new SlotCalendar(rule.calendar, coverage.intervalMs)) : [];
  const present = groups.reduce((n, g) => n + g.present, 0);
  const expected = groups.reduce((n, g) => n + g.expected, 0);
  const ratio = expected === 0 ? 0 : present / expected;
  let detail = `${present} of ${expected} expected ${rule.interval} slots${rule.calendar ? ' in the calendar' : ''} (${pct(ratio)}, min ${(rule.min * 100).toFixed(0)}%)`;
  if (rule.groupBy.length === 0) {
    const d = groups[0] ? describeGroup(groups[0]) : '';
    if (d) detail += `; ${d}`;
  } else {
    detail += ` over ${plural(groups.length, 'group')} by ${rule.groupBy.join(', ')}`;
    for (const g of groups.slice(0, GROUPS_IN_DETAIL)) {
      const d = describeGroup(g);
      detail += `; ${g.group}: ${g.present} of ${g.expected} (${pct(g.ratio)})${d ? `, ${d}` : ''}`;
    }
    if (groups.length > GROUPS_IN_DETAIL) detail += `; ${plural(groups.length - GROUPS_IN_DETAIL, 'more group')} in the report`;
  }
  return { name, type: 'completeness', severity: rule.severity, passed: expected > 0 && ratio >= rule.min, ratio, detail, groups };
}
