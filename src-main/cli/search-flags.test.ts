import { describe, expect, it } from 'vitest';
import { expandSweep } from '../../src-shared/sweep';
import { parseArgs, workersFlag } from './args';
import { queueHelp, sweepFromFlags } from './config-flags';

const sweepOf = (argv: string[]) => sweepFromFlags(parseArgs(['queue', ...argv]).flags, null);

describe('random search and early stopping flags', () => {
  it('reads --beta 0.5..8 --log --samples 20 with integer and choice parameters beside it', () => {
    const spec = sweepOf([
      '--beta',
      '0.5..8',
      '--log',
      '--latent',
      '2..20',
      '--likelihood',
      'bernoulli,gaussian',
      '--samples',
      '20',
      '--search-seed',
      '7',
      '--early-stop',
      'median',
    ]);
    expect(spec.ranges).toEqual({ beta: { min: 0.5, max: 8, log: true }, latentDim: { min: 2, max: 20, log: true } });
    expect(spec.axes).toEqual({ likelihood: ['bernoulli', 'gaussian'] });
    expect(spec).toMatchObject({ samples: 20, searchSeed: 7, earlyStop: 'median' });
    const runs = expandSweep(spec);
    expect(runs).toHaveLength(20);
    expect(expandSweep(sweepOf(['--beta', '0.5..8', '--samples', '20', '--search-seed', '7']))).toEqual(
      expandSweep(sweepOf(['--samples', '20', '--beta', '0.5..8', '--search-seed', '7'])),
    );
    expect(queueHelp()).toMatch(/--samples N +with a range: how many runs to draw/);
    // Without a range, --samples stays the MC samples' flag; in a search, --mc-samples sets them.
    expect(sweepOf(['--samples', '5']).base.mcSamples).toBe(5);
    expect(sweepOf(['--beta', '1..4', '--samples', '3', '--mc-samples', '2'])).toMatchObject({
      samples: 3,
      base: { mcSamples: 2 },
    });
    expect(queueHelp()).toMatch(/--early-stop median/);
  });

  it('refuses a range without --samples, a bad range, --log alone and an unknown rule, naming the value', () => {
    expect(() => sweepOf(['--beta', '0.5..8'])).toThrow(/a range \(beta\) makes a random search: give --samples N/);
    expect(() => sweepOf(['--beta', '8..0.5', '--samples', '3'])).toThrow(/--beta "8\.\.0\.5": the range is empty/);
    expect(() => sweepOf(['--likelihood', '0..1', '--samples', '3'])).toThrow(
      /--likelihood "0\.\.1": a range is for numeric parameters/,
    );
    expect(() => sweepOf(['--log'])).toThrow(/--log: no range/);
    expect(() => sweepOf(['--beta', '0.5..8', '--samples', '0'])).toThrow(/--samples "0": allowed: an integer from 1/);
    expect(() => sweepOf(['--early-stop', 'hyperband'])).toThrow(/--early-stop "hyperband": allowed: median/);
    expect(() => workersFlag('two')).toThrow(/--workers "two": allowed: a positive integer/);
  });
});
