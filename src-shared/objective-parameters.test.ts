import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from './config';
import { parameterTable } from './parameters';

describe('the objective parameters in the form', () => {
  it('show each field only where it matters', () => {
    const { betaCycles, betaCycleRatio, decoderVariance, freeBits, iwaeSamples, mcSamples } = parameterTable;
    expect(betaCycles.applies!({ betaSchedule: 'cyclical' })).toBe(true);
    expect(betaCycles.applies!({ betaSchedule: 'linear' })).toBe(false);
    expect(betaCycleRatio.applies!({ betaSchedule: 'constant' })).toBe(false);
    expect(decoderVariance.applies!({ likelihood: 'gaussian' })).toBe(true);
    expect(decoderVariance.applies!({ likelihood: 'bernoulli' })).toBe(false);
    expect(iwaeSamples.applies!({ autoencoder: true })).toBe(false);
    expect(freeBits.applies!({ iwaeSamples: 5 })).toBe(false);
    expect(freeBits.applies!({ iwaeSamples: 1 })).toBe(true);
    expect(mcSamples.applies!({ iwaeSamples: 5 })).toBe(false);
  });

  it('default to the behaviour runs had before them, and refuse bad values naming them', () => {
    expect(defaultConfig).toMatchObject({
      iwaeSamples: 1,
      freeBits: 0,
      decoderVariance: 'fixed',
      init: 'he-glorot',
      betaSchedule: 'constant',
    });
    expect(() => parseConfig({ iwaeSamples: 0 })).toThrow(/iwaeSamples = 0/);
    expect(() => parseConfig({ freeBits: -0.5 })).toThrow(/freeBits = -0.5/);
    expect(() => parseConfig({ betaCycleRatio: 0 })).toThrow(/betaCycleRatio = 0/);
    expect(() => parseConfig({ init: 'xavier' })).toThrow(/init = "xavier"/);
  });
});
