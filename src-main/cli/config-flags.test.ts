import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentConfigSchema, type ConfigKey } from '../../src-shared/config';
import { csvColumn } from '../../src-shared/parameters';
import { expandSweep } from '../../src-shared/sweep';
import { CSV_COLUMNS } from '../reports/csv';
import { experimentIdFlag, parseArgs, statusListFlag, UsageError } from './args';
import { configFlags, FlagError, queueHelp, readConfigFile, sweepFromFlags } from './config-flags';

const sweepOf = (argv: string[]) => sweepFromFlags(parseArgs(['queue', ...argv]).flags, null);

describe('config flags', () => {
  it('has a flag, a --help row and a CSV column for every config key', () => {
    const help = queueHelp();
    for (const key of Object.keys(experimentConfigSchema.shape) as ConfigKey[]) {
      const flags = configFlags.filter((f) => f.key === key);
      expect(flags, `${key}: no CLI flag`).toHaveLength(1);
      expect(help, `${key}: no --help row`).toContain(`  --${flags[0].flag}`);
      expect(CSV_COLUMNS, `${key}: no CSV column`).toContain(csvColumn(key));
    }
  });

  it('keeps the flag names and aliases the README and scripts use', () => {
    const names = Object.fromEntries(configFlags.map((f) => [f.key, [f.flag, ...f.aliases].join(' ')]));
    expect(names).toMatchObject({
      hiddenSizes: 'hidden hidden-sizes',
      latentDim: 'latent latent-dim',
      learningRate: 'lr learning-rate',
      batchSize: 'batch-size batch',
      binarization: 'binarize binarization',
      betaWarmupEpochs: 'warmup-epochs beta-warmup-epochs',
      mcSamples: 'samples mc-samples',
      architecture: 'architecture arch',
    });
  });

  it('lists each flag in --help with its aliases, help and allowed values', () => {
    const help = queueHelp();
    expect(help).toMatch(/--hidden, --hidden-sizes +MLP hidden widths.*; 1 to 8 integers ≥ 1 and ≤ 8192 joined by x/);
    expect(help).toMatch(/--lr, --learning-rate +Adam step size; a number > 0 and ≤ 1/);
    expect(help).toMatch(/--autoencoder +.*; true or false \(or the bare flag\)/);
    expect(help).toContain('--hidden 512,512x256 is two runs');
  });

  it('makes the grid product of comma lists', () => {
    const configs = expandSweep(sweepOf(['--beta', '0,1,4', '--latent', '2,10', '--seeds', '3', '--epochs', '2']));
    expect(configs).toHaveLength(18);
    expect(new Set(configs.map((c) => `${c.beta}/${c.latentDim}/${c.seed}`)).size).toBe(18);
    expect(configs.every((c) => c.epochs === 2)).toBe(true);
  });

  it('reads layer lists with x and sweeps them with commas', () => {
    const configs = expandSweep(sweepOf(['--hidden', '512,256x128']));
    expect(configs.map((c) => c.hiddenSizes)).toEqual([[512], [256, 128]]);
    expect(expandSweep(sweepOf(['--hidden', '512,512x256'])).map((c) => c.hiddenSizes)).toEqual([[512], [512, 256]]);
  });

  it('takes "all" for subsets and a bare boolean flag', () => {
    const [config] = expandSweep(sweepOf(['--train-subset', 'all', '--autoencoder']));
    expect(config.trainSubset).toBeNull();
    expect(config.autoencoder).toBe(true);
  });

  it.each([
    [['--beta', '-1'], /--beta "-1".*allowed: a number ≥ 0/],
    [['--beta', 'abc'], /--beta "abc": not a number/],
    [['--latent', '2.5'], /--latent "2.5".*an integer/],
    [['--likelihood', 'poisson'], /--likelihood "poisson".*one of bernoulli, gaussian/],
    [['--lr', '0'], /--lr "0".*> 0/],
    [['--beta', '1,,4'], /empty value/],
    [['--hidden', '512xabc'], /--hidden "512xabc"/],
    [['--seeds', '0'], /--seeds "0"/],
  ])('refuses %j naming the flag, the value and what is allowed', (argv, message) => {
    expect(() => expandSweep(sweepOf(argv))).toThrow(message);
  });

  it('refuses a repeated flag and a flag without its value', () => {
    expect(() => parseArgs(['queue', '--beta', '1', '--beta', '2'])).toThrow(UsageError);
    expect(() => parseArgs(['queue', '--beta'])).toThrow(/--beta needs a value/);
  });

  it('reads a sweep from a config file, flags winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
    const file = join(dir, 'sweep.json');
    writeFileSync(
      file,
      JSON.stringify({ experiment: 'betas', base: { latentDim: 2, epochs: 3 }, sweep: { beta: [0, 1, 4] } }),
    );
    const spec = sweepFromFlags(parseArgs(['queue', '--epochs', '1']).flags, readConfigFile(file));
    const configs = expandSweep(spec);
    expect(configs.map((c) => c.beta)).toEqual([0, 1, 4]);
    expect(configs.every((c) => c.latentDim === 2 && c.epochs === 1)).toBe(true);
  });

  it('refuses a config file with an unknown parameter or bad JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ betta: 4 }));
    expect(() => readConfigFile(bad)).toThrow(/betta is not a parameter/);
    writeFileSync(bad, '{');
    expect(() => readConfigFile(bad)).toThrow(FlagError);
    expect(() => readConfigFile(join(dir, 'missing.json'))).toThrow(/cannot read the file \(ENOENT\)/);
  });

  it('reads --status and --experiment, refusing values outside what is allowed', () => {
    expect(statusListFlag('finished,failed')).toEqual(['finished', 'failed']);
    expect(statusListFlag(undefined)).toBeUndefined();
    expect(() => statusListFlag('finished,done')).toThrow(/--status "done": allowed: queued, running/);
    expect(experimentIdFlag('3')).toBe(3);
    expect(() => experimentIdFlag('x')).toThrow(/--experiment "x": allowed: an experiment id/);
  });
});
