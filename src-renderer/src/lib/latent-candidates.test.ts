import { describe, expect, it } from 'vitest';
import { latentCandidates } from './latent-candidates';

const runs = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, epochsDone: i === 4 ? 0 : 3 }));
const ids = (rs: { id: number }[]): number[] => rs.map((r) => r.id);

describe('the latent views’ run picker', () => {
  it('lists the selection first in run order, then the newest others, only runs with an epoch', () => {
    expect(ids(latentCandidates(runs, [7, 2], null, 3))).toEqual([2, 7, 10, 9, 8]);
    expect(ids(latentCandidates(runs, [], null))).toEqual([10, 9, 8, 7, 6, 4, 3, 2, 1]);
    // Run 5 has no epoch yet: no checkpoint to show, even when selected.
    expect(ids(latentCandidates(runs, [5], null, 2))).toEqual([10, 9]);
  });

  it('keeps the run shown even when it is older than the newest ones listed', () => {
    expect(ids(latentCandidates(runs, [], 1, 2))).toEqual([10, 9, 1]);
    expect(ids(latentCandidates(runs, [], 9, 2))).toEqual([10, 9]);
  });

  it('stays short with 10,000 runs', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ id: i + 1, epochsDone: 50 }));
    expect(latentCandidates(many, [1, 2], 3)).toHaveLength(2 + 200 + 1);
  });
});
