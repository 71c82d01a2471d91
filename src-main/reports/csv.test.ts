import { describe, expect, it } from 'vitest';
import { defaultConfig, experimentConfigSchema, type ConfigKey } from '../../src-shared/config';
import { csvColumn } from '../../src-shared/parameters';
import type { EpochMetrics } from '../../src-shared/runs';
import { CSV_COLUMNS, metricsCsv, type CsvRun } from './csv';

const run: CsvRun = {
  id: 7,
  experimentName: 'widths, compared',
  name: 'run 7',
  config: { ...defaultConfig, hiddenSizes: [512, 256], trainSubset: 1000, autoencoder: true },
};

const epoch: EpochMetrics = {
  runId: 7,
  epoch: 1,
  split: 'test',
  recon: 90,
  kl: Number.NaN,
  betaKl: 5,
  elbo: -95,
  loss: 95,
  beta: 1,
  nonFinite: true,
};

describe('metrics CSV', () => {
  it('carries every config key as a column, written as the CLI and the form take it', () => {
    const [header, row] = metricsCsv([run], [epoch]).trim().split('\n');
    expect(header).toBe(CSV_COLUMNS.join(','));
    for (const key of Object.keys(experimentConfigSchema.shape) as ConfigKey[])
      expect(CSV_COLUMNS, key).toContain(csvColumn(key));
    const cells = Object.fromEntries(
      header.split(',').map((name, i) => [name, row.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[i]]),
    );
    expect(cells).toMatchObject({
      run_id: '7',
      experiment: '"widths, compared"',
      hidden_sizes: '512x256',
      conv_channels: '32x64',
      train_subset: '1000',
      test_subset: 'all',
      autoencoder: 'true',
      learning_rate: '0.001',
      kl: 'NaN',
      beta_at_epoch: '1',
    });
  });
});
