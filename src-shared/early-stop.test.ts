import { describe, expect, it } from 'vitest';
import { median, medianStopVerdict, MEDIAN_MIN_EPOCH, MEDIAN_MIN_PEERS } from './early-stop';

describe('median stopping', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, -1, 2])).toBe(2);
    expect(median([-90, -100, -95, -80])).toBe((-95 + -90) / 2);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/no values/);
  });

  it('stops a run whose test ELBO is below its finished peers’ median at the same epoch', () => {
    // Peers −100, −95, −90: median −95 (higher ELBO is better).
    expect(medianStopVerdict(3, -96, [-100, -95, -90]).stop).toBe(true);
    expect(medianStopVerdict(3, -95, [-100, -95, -90]).stop).toBe(false);
    expect(medianStopVerdict(3, -80, [-100, -95, -90]).stop).toBe(false);
    const verdict = medianStopVerdict(3, -96, [-100, -95, -90]);
    expect(verdict.median).toBe(-95);
    expect(verdict.reason).toMatch(/-96\.00 at epoch 3 is worse than the median -95\.00 of 3 finished peers/);
  });

  it('needs enough peers and a minimum epoch, and counts a diverged ELBO as the worst', () => {
    expect(MEDIAN_MIN_PEERS).toBe(3);
    expect(medianStopVerdict(5, -500, [-100, -95]).stop).toBe(false);
    expect(medianStopVerdict(MEDIAN_MIN_EPOCH - 1, -500, [-100, -95, -90]).stop).toBe(false);
    expect(medianStopVerdict(MEDIAN_MIN_EPOCH, Number.NaN, [-100, -95, -90]).stop).toBe(true);
    // A diverged peer sits at the bottom: the median of (−∞, −95, −90) is −95.
    expect(medianStopVerdict(4, -96, [Number.NaN, -95, -90]).median).toBe(-95);
  });
});
