import { describe, expect, it } from 'vitest';
import { closestName, didYouMean, editDistance } from '../../../shared/config/suggest.js';

describe('did you mean', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('delimeter', 'delimiter')).toBe(1);
    expect(editDistance('TAA', 'TA')).toBe(1);
    expect(editDistance('outptu', 'output')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests a key one typo away, ignoring case', () => {
    expect(didYouMean('delimeter', ['type', 'delimiter', 'quote'])).toBe(' (did you mean "delimiter"?)');
    expect(didYouMean('ta', ['TA', 'VPD'])).toBe(' (did you mean "TA"?)');
  });

  it('suggests the shortest name that the typed one begins, or that begins it', () => {
    expect(closestName('TIMESTAMP', ['TIMESTAMP_START', 'TIMESTAMP_END'])).toBe('TIMESTAMP_END');
    expect(closestName('maximum', ['min', 'max'])).toBe('max');
  });

  it('suggests nothing for a name far from every candidate, or for short names two edits away', () => {
    expect(didYouMean('nope', ['a', 'b'])).toBe('');
    expect(didYouMean('zz', ['a'])).toBe('');
    expect(closestName('qq', ['year'])).toBeUndefined();
  });
});
