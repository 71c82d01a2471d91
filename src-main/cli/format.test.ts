import { describe, expect, it } from 'vitest';
import type { RunProgress } from '../queue/types';
import { progressLine } from './format';

const progress = (patch: Partial<RunProgress>): RunProgress => ({
  runId: 3,
  epoch: 1,
  epochs: 1,
  batch: 4,
  batches: 16,
  recon: 101.5,
  kl: 7.25,
  loss: 108.75,
  examplesPerSec: 1234.4,
  etaSec: null,
  ...patch,
});

describe('the CLI progress line', () => {
  it('gives the running terms of a trained run', () => {
    expect(progressLine(progress({}))).toMatch(
      /^run 3 epoch 1\/1 batch 4\/16 recon 101\.5.* KL 7\.25.* loss 108\.7.*\(1234 ex\/s\)$/,
    );
  });

  it('says a closed-form fit is fitting instead of printing NaN for a loss that does not exist yet', () => {
    const line = progressLine(progress({ recon: NaN, kl: 0, loss: NaN }));
    expect(line).toBe('run 3 fitting in closed form: step 4/16 (1234 ex/s)');
    expect(line).not.toMatch(/NaN/);
  });
});
