import { describe, expect, it } from 'vitest';
import { betaAt, ConfigError, defaultConfig, parseConfig } from './config';
import { differingKeys, expandSweep, MAX_SWEEP_RUNS, sweepSize } from './sweep';

describe('experiment config', () => {
  it('fills defaults: the reference MLP VAE', () => {
    const config = parseConfig({});
    expect(config).toEqual(defaultConfig);
    expect(config.hiddenSizes).toEqual([512]);
    expect(config.latentDim).toBe(20);
  });

  it('names every bad field with its value', () => {
    expect(() => parseConfig({ beta: -1, latentDim: 0 })).toThrow(ConfigError);
    expect(() => parseConfig({ beta: -1, latentDim: 0 })).toThrow(/beta = -1/);
    expect(() => parseConfig({ beta: -1, latentDim: 0 })).toThrow(/latentDim = 0/);
    expect(() => parseConfig({ betta: 1 })).toThrow(/betta/);
  });

  it('warms β up linearly and holds it after the warm-up', () => {
    const c = { beta: 4, betaSchedule: 'linear' as const, betaWarmupEpochs: 4 };
    expect([1, 2, 4, 9].map((e) => betaAt(c, e))).toEqual([1, 2, 4, 4]);
    expect(betaAt({ ...c, betaSchedule: 'constant' }, 1)).toBe(4);
  });
});

describe('sweeps', () => {
  it('expands the grid product in row-major order', () => {
    const configs = expandSweep({ base: { epochs: 1 }, axes: { beta: [0, 1, 4], latentDim: [2, 10] } });
    expect(configs.map((c) => [c.beta, c.latentDim])).toEqual([
      [0, 2],
      [0, 10],
      [1, 2],
      [1, 10],
      [4, 2],
      [4, 10],
    ]);
    expect(sweepSize({ beta: [0, 1, 4], latentDim: [2, 10] })).toBe(6);
  });

  it('refuses an unknown axis, a bad value and an oversized grid', () => {
    expect(() => expandSweep({ base: {}, axes: { nope: [1] } as never })).toThrow(/nope: not a parameter/);
    expect(() => expandSweep({ base: {}, axes: { beta: [1, -2] } })).toThrow(/beta = -2/);
    const big = Array.from({ length: 40 }, (_, i) => i);
    expect(() => expandSweep({ base: {}, axes: { seed: big, latentDim: big.map((i) => i + 1) } })).toThrow(
      new RegExp(`1600 runs; at most ${MAX_SWEEP_RUNS}`),
    );
  });

  it('finds the parameters that differ between runs', () => {
    const configs = expandSweep({ base: {}, axes: { beta: [0, 4] } });
    expect(differingKeys(configs)).toEqual(['beta']);
    expect(differingKeys([configs[0]])).toEqual([]);
  });
});
