import { describe, expect, it } from 'vitest';
import { defaultConfig, experimentConfigSchema, type ConfigKey, type ExperimentConfig } from './config';
import {
  allowedValues,
  csvColumn,
  describeDifference,
  formatParameter,
  formatSweep,
  parameter,
  parameters,
  paramValue,
  parseParameter,
  readParameter,
  sci,
  splitSweep,
} from './parameters';

const configKeys = Object.keys(experimentConfigSchema.shape) as ConfigKey[];

describe('parameter names and values', () => {
  it('names what differs, as legends show it', () => {
    const config = { ...defaultConfig, beta: 4, latentDim: 2 };
    expect(describeDifference(config, ['beta', 'latentDim'])).toBe('β = 4, latent dim = 2');
    expect(describeDifference(config, [])).toBe('');
  });

  it('shows layer lists, "all" subsets and learning rates readably', () => {
    expect(paramValue('hiddenSizes', { ...defaultConfig, hiddenSizes: [512, 256] })).toBe('512x256');
    expect(paramValue('trainSubset', defaultConfig)).toBe('all');
    expect(paramValue('learningRate', defaultConfig)).toBe('1e−3');
    expect(sci(0.05)).toBe('0.05');
  });
});

describe('the parameter table', () => {
  it('has one entry per config key, each with a label, title, help, flag and CSV column', () => {
    expect(parameters.map((p) => p.key).sort()).toEqual([...configKeys].sort());
    for (const p of parameters) {
      for (const text of [p.label, p.title, p.help, p.flag]) expect(text.trim(), p.key).not.toBe('');
    }
    const names = parameters.flatMap((p) => [p.flag, ...p.aliases]);
    expect(new Set(names).size, 'a flag or alias used twice').toBe(names.length);
    const columns = parameters.map((p) => csvColumn(p.key));
    expect(new Set(columns).size).toBe(columns.length);
    expect(csvColumn('latentDim')).toBe('latent_dim');
  });

  it('reads each kind from the schema', () => {
    expect(parameter('dataset').kind).toEqual({ type: 'dataset' });
    expect(parameter('likelihood').kind).toEqual({ type: 'choice', choices: ['bernoulli', 'gaussian'] });
    expect(parameter('autoencoder').kind).toEqual({ type: 'boolean' });
    expect(parameter('latentDim').kind).toEqual({
      type: 'integer',
      lower: { value: 1, inclusive: true },
      upper: { value: 512, inclusive: true },
    });
    expect(parameter('learningRate').kind).toMatchObject({ type: 'number', lower: { value: 0, inclusive: false } });
    expect(parameter('hiddenSizes').kind).toMatchObject({ type: 'widths', minCount: 1, maxCount: 8 });
    expect(parameter('trainSubset').kind).toMatchObject({ type: 'subset', lower: { value: 1, inclusive: true } });
    expect(allowedValues('learningRate')).toBe('a number > 0 and ≤ 1');
    expect(allowedValues('trainSubset')).toBe('all, or an integer ≥ 1');
  });

  it('offers sweep values that are valid, all choices for a choice and both booleans', () => {
    for (const p of parameters) {
      for (const value of p.sweep ?? [])
        expect(experimentConfigSchema.shape[p.key].safeParse(value).success).toBe(true);
    }
    expect(parameter('checkpointKeep').sweep).toEqual(['all', 'last', 'best', 'last-and-best']);
    expect(parameter('autoencoder').sweep).toEqual([false, true]);
    expect(formatSweep('hiddenSizes', parameter('hiddenSizes').sweep ?? [])).toBe('512, 256x256');
  });
});

describe('the one text syntax', () => {
  const samples: Partial<{ [K in ConfigKey]: ExperimentConfig[K][] }> = {
    hiddenSizes: [[512, 256], [64]],
    convChannels: [[16, 32]],
    trainSubset: [1000],
    learningRate: [3e-4, 0.5],
    autoencoder: [true],
    dataset: ['fashion-mnist'],
  };

  it('reads back every value it writes, for every parameter', () => {
    for (const p of parameters) {
      const values = [defaultConfig[p.key], ...(p.sweep ?? []), ...((samples[p.key] as unknown[]) ?? [])];
      for (const value of values) {
        const text = formatParameter(p.key, value);
        expect(parseParameter(p.key, text), `${p.key} ${text}`).toEqual({ ok: true, value });
        expect(readParameter(p.key, text), `${p.key} ${text}`).toEqual({ ok: true, value });
      }
    }
  });

  it('joins widths with x inside one value and separates sweep values with commas', () => {
    expect(formatParameter('hiddenSizes', [512, 256])).toBe('512x256');
    expect(readParameter('hiddenSizes', '512x256')).toEqual({ ok: true, value: [512, 256] });
    const values = splitSweep('512,512x256').map((t) => readParameter('hiddenSizes', t));
    expect(values).toEqual([
      { ok: true, value: [512] },
      { ok: true, value: [512, 256] },
    ]);
    expect(formatParameter('trainSubset', null)).toBe('all');
    expect(readParameter('testSubset', 'all')).toEqual({ ok: true, value: null });
    expect(readParameter('autoencoder', 'false')).toEqual({ ok: true, value: false });
  });

  it.each([
    ['latentDim', 'many', '"many": not a number; allowed: an integer ≥ 1 and ≤ 512'],
    ['hiddenSizes', '512xabc', '"512xabc": "abc" is not a number; allowed: 1 to 8 integers ≥ 1 and ≤ 8192 joined by x'],
    [
      'hiddenSizes',
      '512, 256',
      '"512, 256": a list where one value is wanted (commas separate sweep values; x joins widths',
    ],
    ['likelihood', 'poisson', '"poisson": not one of the choices; allowed: one of bernoulli, gaussian'],
    ['autoencoder', 'maybe', '"maybe": not true or false; allowed: true or false'],
    ['beta', '-1', '"-1": Too small: expected number to be >=0; allowed: a number ≥ 0 and ≤ 1000'],
    ['latentDim', '2.5', '"2.5": '],
    ['trainSubset', '0', 'allowed: all, or an integer ≥ 1'],
  ] as const)('refuses %s = %j, naming the value and what is allowed', (key, text, message) => {
    const read = readParameter(key, text);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.message).toContain(message);
  });
});

describe('help for layer widths and datasets', () => {
  it('gives each widths parameter its own example, and says "a dataset id" once', () => {
    expect(allowedValues('convChannels')).toMatch(/e\.g\. 32x64$/);
    expect(allowedValues('hiddenSizes')).toMatch(/e\.g\. 512x256$/);
    const conv = `${parameter('convChannels').help}; ${allowedValues('convChannels')}`;
    expect(conv).not.toContain('512x256');
    const dataset = `${parameter('dataset').help}; ${allowedValues('dataset')}`;
    expect(dataset.match(/dataset/g)?.length).toBe(1);
    expect(dataset.match(/mnist, fashion-mnist/g)?.length).toBe(1);
  });
});
