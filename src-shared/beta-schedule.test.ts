import { describe, expect, it } from 'vitest';
import { betaAt, ConfigError } from './config';

describe('the cyclical β schedule (Fu et al. 2019)', () => {
  const base = { beta: 2, betaSchedule: 'cyclical' as const, betaWarmupEpochs: 1 };

  it('rises from 0 over the first R of each cycle and holds β for the rest (10 epochs, M = 2, R = 0.5)', () => {
    // Period T/M = 5 epochs; τ = ((t − 1) mod 5) / 5 = 0, 0.2, 0.4, 0.6, 0.8; β·min(1, τ/R).
    const config = { ...base, epochs: 10, betaCycles: 2, betaCycleRatio: 0.5 };
    const expected = [0, 0.8, 1.6, 2, 2, 0, 0.8, 1.6, 2, 2];
    expected.forEach((value, i) => expect(betaAt(config, i + 1)).toBeCloseTo(value, 12));
  });

  it('uses a whole number of epochs per cycle when M does not divide the epochs (10 epochs, M = 3, R = 1)', () => {
    // T/M = 10/3; cycles restart every ⌈10/3⌉ = 4 epochs, τ = ((t − 1) mod 4) · 0.3.
    const config = { ...base, epochs: 10, betaCycles: 3, betaCycleRatio: 1 };
    const expected = [0, 0.6, 1.2, 1.8, 0, 0.6, 1.2, 1.8, 0, 0.6];
    expected.forEach((value, i) => expect(betaAt(config, i + 1)).toBeCloseTo(value, 12));
  });

  it('needs epochs, cycles and ratio', () => {
    expect(() => betaAt(base, 1)).toThrow(ConfigError);
  });
});
