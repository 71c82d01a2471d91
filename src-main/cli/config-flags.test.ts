import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSweep } from '../../src-shared/sweep';
import { experimentIdFlag, parseArgs, statusListFlag, UsageError } from './args';
import { FlagError, readConfigFile, sweepFromFlags } from './config-flags';

const sweepOf = (argv: string[]) => sweepFromFlags(parseArgs(['queue', ...argv]).flags, null);

describe('config flags', () => {
  it('makes the grid product of comma lists', () => {
    const configs = expandSweep(sweepOf(['--beta', '0,1,4', '--latent', '2,10', '--seeds', '3', '--epochs', '2']));
    expect(configs).toHaveLength(18);
    expect(new Set(configs.map((c) => `${c.beta}/${c.latentDim}/${c.seed}`)).size).toBe(18);
    expect(configs.every((c) => c.epochs === 2)).toBe(true);
  });

  it('reads layer lists with x and sweeps them with commas', () => {
    const configs = expandSweep(sweepOf(['--hidden', '512,256x128']));
    expect(configs.map((c) => c.hiddenSizes)).toEqual([[512], [256, 128]]);
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
