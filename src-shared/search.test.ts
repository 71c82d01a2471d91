import { describe, expect, it } from 'vitest';
import { isRangeText, readRange } from './parameters';
import { drawFromRange, expandSweep, seededRandom, sweepRunCount, type SweepSpec } from './sweep';

const search = (over: Partial<SweepSpec> = {}): SweepSpec => ({
  base: { epochs: 1 },
  axes: { likelihood: ['bernoulli', 'gaussian'] },
  ranges: { beta: { min: 0.5, max: 8, log: true }, latentDim: { min: 2, max: 20, log: false } },
  samples: 20,
  searchSeed: 42,
  ...over,
});

describe('random search', () => {
  it('draws the same runs from the same spec and seed, and others from another seed', () => {
    const a = expandSweep(search());
    const b = expandSweep(search());
    const c = expandSweep(search({ searchSeed: 43 }));
    expect(a).toHaveLength(20);
    expect(sweepRunCount(search())).toBe(20);
    expect(a).toEqual(b);
    expect(a.map((r) => r.beta)).not.toEqual(c.map((r) => r.beta));
  });

  it('keeps every draw inside its range: integers for latentDim, choices from the list', () => {
    for (const run of expandSweep(search({ samples: 200 }))) {
      expect(run.beta).toBeGreaterThanOrEqual(0.5);
      expect(run.beta).toBeLessThanOrEqual(8);
      expect(Number.isInteger(run.latentDim)).toBe(true);
      expect(run.latentDim).toBeGreaterThanOrEqual(2);
      expect(run.latentDim).toBeLessThanOrEqual(20);
      expect(['bernoulli', 'gaussian']).toContain(run.likelihood);
      expect(run.beta).toBe(Number(run.beta.toPrecision(4)));
      expect(run.epochs).toBe(1);
    }
    const dims = new Set(expandSweep(search({ samples: 400 })).map((r) => r.latentDim));
    // Every integer of 2..20 is reachable, the upper end included.
    expect([...dims].sort((x, y) => x - y)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
  });

  it('draws log-uniformly: each decade of 0.01..100 gets about a quarter of the draws', () => {
    const random = seededRandom(7);
    const n = 8000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const v = drawFromRange({ min: 0.01, max: 100, log: true }, false, random());
      counts[Math.min(3, Math.floor(Math.log10(v) + 2))]++;
    }
    // Uniform draws would put 99.99 % above 0.01's first decade; log-uniform: 25 % ± sampling noise in each.
    for (const count of counts) expect(Math.abs(count / n - 0.25)).toBeLessThan(0.025);
    // Uniform in the same range for contrast: the top decade takes ~90 %.
    const uniform = Array.from({ length: n }, () =>
      drawFromRange({ min: 0.01, max: 100, log: false }, false, random()),
    );
    expect(uniform.filter((v) => v >= 10).length / n).toBeGreaterThan(0.85);
  });

  it('the mulberry32 stream matches its reference values', () => {
    // Reference: mulberry32(1)'s first three outputs × 2^32, computed with Python's arbitrary-precision integers
    // reduced mod 2^32 (an independent implementation of the same arithmetic).
    const random = seededRandom(1);
    expect([random(), random(), random()].map((u) => Math.round(u * 4294967296))).toEqual([
      2693262067, 11749833, 2265367787,
    ]);
  });

  it('refuses a search without samples or seed, and bad ranges, naming the value', () => {
    expect(() => expandSweep(search({ samples: undefined }))).toThrow(/samples = undefined: a random search needs/);
    expect(() => expandSweep(search({ searchSeed: undefined }))).toThrow(/searchSeed = undefined/);
    expect(() => expandSweep(search({ ranges: { beta: { min: 0, max: 8, log: true } } }))).toThrow(
      /beta: a log range needs min > 0, got 0/,
    );
    expect(() => expandSweep(search({ ranges: { likelihood: { min: 0, max: 1, log: false } } as never }))).toThrow(
      /likelihood: a range is for numeric parameters/,
    );
  });
});

describe('range syntax', () => {
  it('reads min..max and min..max log, checking both ends against the parameter', () => {
    expect(isRangeText('0.5..8')).toBe(true);
    expect(isRangeText('0,1,4')).toBe(false);
    expect(isRangeText('4')).toBe(false);
    expect(readRange('beta', '0.5..8')).toEqual({ ok: true, range: { min: 0.5, max: 8, log: false } });
    expect(readRange('beta', '0.5..8 log')).toEqual({ ok: true, range: { min: 0.5, max: 8, log: true } });
    expect(readRange('beta', '0.5..8', true)).toEqual({ ok: true, range: { min: 0.5, max: 8, log: true } });
    expect(readRange('latentDim', '2..20')).toEqual({ ok: true, range: { min: 2, max: 20, log: false } });
    const negative = readRange('beta', '-1..8');
    expect(negative.ok ? '' : negative.message).toMatch(/"-1\.\.8": the end "-1"/);
    const empty = readRange('beta', '8..0.5');
    expect(empty.ok ? '' : empty.message).toMatch(/8 is not below 0\.5/);
    const choice = readRange('likelihood', '0..1');
    expect(choice.ok ? '' : choice.message).toMatch(/a range is for numeric parameters; allowed: one of bernoulli/);
    const fraction = readRange('latentDim', '2.5..20');
    expect(fraction.ok).toBe(false);
  });
});
