import { describe, expect, it } from 'vitest';
import { niceTicks, tickLabel } from './ticks';

describe('axis ticks', () => {
  it('puts about five round values inside the range', () => {
    expect(niceTicks(-3.2, 2.9)).toEqual([-3, -2, -1, 0, 1, 2]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-0.013, 0.041)).toEqual([-0.01, 0, 0.01, 0.02, 0.03, 0.04]);
    expect(niceTicks(120, 980)).toEqual([200, 400, 600, 800]);
  });

  it('keeps every tick inside [min, max] and evenly spaced', () => {
    for (const [min, max] of [
      [-7.3, 11.1],
      [0.001, 0.0093],
      [-1e4, 3e4],
    ]) {
      const ticks = niceTicks(min, max);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.length).toBeLessThanOrEqual(11);
      for (const t of ticks) expect(t >= min && t <= max).toBe(true);
      const steps = ticks.slice(1).map((t, i) => t - ticks[i]);
      for (const s of steps) expect(s).toBeCloseTo(steps[0], 9);
    }
  });

  it('gives nothing for an empty or broken range', () => {
    expect(niceTicks(1, 1)).toEqual([]);
    expect(niceTicks(Number.NaN, 1)).toEqual([]);
    expect(niceTicks(2, 1)).toEqual([]);
  });

  it('labels with as many decimals as the step needs', () => {
    const ticks = niceTicks(-3.2, 2.9);
    expect(ticks.map((t) => tickLabel(t, ticks))).toEqual(['−3', '−2', '−1', '0', '1', '2']);
    const fine = niceTicks(0, 0.1);
    expect(tickLabel(fine[1], fine)).toBe('0.02');
  });
});
