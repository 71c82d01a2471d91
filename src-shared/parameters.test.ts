import { describe, expect, it } from 'vitest';
import { defaultConfig } from './config';
import { describeDifference, paramValue, sci } from './parameters';

describe('parameter names and values', () => {
  it('names what differs, as legends show it', () => {
    const config = { ...defaultConfig, beta: 4, latentDim: 2 };
    expect(describeDifference(config, ['beta', 'latentDim'])).toBe('β = 4, latent dim = 2');
    expect(describeDifference(config, [])).toBe('');
  });

  it('shows layer lists, "all" subsets and learning rates readably', () => {
    expect(paramValue('hiddenSizes', { ...defaultConfig, hiddenSizes: [512, 256] })).toBe('512-256');
    expect(paramValue('trainSubset', defaultConfig)).toBe('all');
    expect(paramValue('learningRate', defaultConfig)).toBe('1e−3');
    expect(sci(0.05)).toBe('0.05');
  });
});
