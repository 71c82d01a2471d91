import { describe, expect, it } from 'vitest';
import { alignByEpoch, defaultGroupKeys, formatMeanStd, groupRuns, summarize } from './aggregate';
import { defaultConfig, type ExperimentConfig } from './config';

const run = (id: number, over: Partial<ExperimentConfig>) => ({ id, config: { ...defaultConfig, ...over } });

describe('summarize', () => {
  it('gives the mean and the sample std (n − 1) computed by hand', () => {
    // 2 4 4 4 5 5 7 9: mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7.
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.std).toBeCloseTo(2.138089935, 8);
    expect([s.min, s.max]).toEqual([2, 9]);
  });

  it('keeps its precision far from zero (ELBOs near −100 differing in the fourth digit)', () => {
    // −100.1, −100.2, −100.3: mean −100.2, deviations ±0.1 and 0, variance 0.02/2 = 0.01.
    const s = summarize([-100.1, -100.2, -100.3]);
    expect(s.mean).toBeCloseTo(-100.2, 12);
    expect(s.std).toBeCloseTo(0.1, 12);
  });

  it('has no spread for one run, nothing for none, and counts NaN runs apart', () => {
    const one = summarize([3]);
    expect(one.mean).toBe(3);
    expect(one.std).toBeNaN();
    expect(summarize([]).n).toBe(0);
    const diverged = summarize([1, NaN, 3, Infinity, null]);
    expect(diverged.n).toBe(2);
    expect(diverged.mean).toBe(2);
    expect(diverged.nonFinite).toBe(2);
  });

  it('prints mean ± std with a real minus sign', () => {
    expect(formatMeanStd(summarize([-1, -3]), 2)).toBe('−2.00 ± 1.41');
    expect(formatMeanStd(summarize([4]), 1)).toBe('4.0');
    expect(formatMeanStd(summarize([]))).toBe('—');
    expect(formatMeanStd(summarize([NaN]))).toBe('NaN');
  });
});

describe('grouping runs', () => {
  const runs = [
    run(1, { beta: 1, seed: 0 }),
    run(2, { beta: 4, seed: 0 }),
    run(3, { beta: 1, seed: 1 }),
    run(4, { beta: 4, seed: 1 }),
    run(5, { beta: 4, seed: 2 }),
  ];

  it('groups by everything but the seed by default', () => {
    expect(defaultGroupKeys(runs.map((r) => r.config))).toEqual(['beta']);
    const groups = groupRuns(runs, ['beta']);
    expect(groups.map((g) => [g.label, g.runs.map((r) => r.id)])).toEqual([
      ['β = 1', [1, 3]],
      ['β = 4', [2, 4, 5]],
    ]);
  });

  it('groups by any set of parameters, layer lists included, or puts everything in one group', () => {
    const mixed = [run(1, { hiddenSizes: [64] }), run(2, { hiddenSizes: [64] }), run(3, { hiddenSizes: [64, 32] })];
    expect(groupRuns(mixed, ['hiddenSizes']).map((g) => g.runs.length)).toEqual([2, 1]);
    expect(groupRuns(runs, [])).toHaveLength(1);
    expect(groupRuns(runs, [])[0].label).toBe('all runs');
    expect(groupRuns(runs, ['seed']).map((g) => g.runs.map((r) => r.id))).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe('aligning curves by epoch', () => {
  it('averages each epoch over the runs that reached it, and says how far all of them go', () => {
    const { epochs, commonEpochs } = alignByEpoch([
      [
        { epoch: 1, value: 10 },
        { epoch: 2, value: 8 },
        { epoch: 3, value: 7 },
      ],
      [
        { epoch: 1, value: 12 },
        { epoch: 2, value: 6 },
      ],
    ]);
    expect(commonEpochs).toBe(2);
    expect(epochs.map((e) => [e.epoch, e.runsAtEpoch, e.mean])).toEqual([
      [1, 2, 11],
      [2, 2, 7],
      [3, 1, 7],
    ]);
    // |10 − 12| / √2: the sample std of two values is their distance over √2.
    expect(epochs[0].std).toBeCloseTo(Math.SQRT2, 12);
    expect(epochs[2].std).toBeNaN();
    expect([epochs[1].min, epochs[1].max]).toEqual([6, 8]);
  });

  it('aligns by epoch number, not by position, and an empty curve leaves no common epoch', () => {
    const { epochs, commonEpochs } = alignByEpoch([[{ epoch: 2, value: 1 }], [{ epoch: 1, value: 5 }], []]);
    expect(epochs.map((e) => [e.epoch, e.n])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(commonEpochs).toBe(0);
  });
});
