import { describe, expect, it } from 'vitest';
import { gridAxis, manifoldCodes, normalCdf, normalQuantile } from './gaussian';

describe('Gaussian quantiles', () => {
  it('matches tabulated quantiles of N(0, 1)', () => {
    // Values from standard normal tables (e.g. Abramowitz & Stegun, table 26.5).
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 6);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644853627, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 6);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306, 6);
  });

  it('inverts the CDF', () => {
    for (const p of [0.01, 0.1, 0.3, 0.7, 0.9, 0.99]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });

  it('refuses p outside (0, 1)', () => {
    expect(() => normalQuantile(0)).toThrow(/p = 0/);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
  });
});

describe('manifold grids', () => {
  it('spaces an axis linearly or by prior mass', () => {
    expect(gridAxis(3, 'linear', 2)).toEqual([-2, 0, 2]);
    const q = gridAxis(4, 'inverse-cdf');
    expect(q[0]).toBeCloseTo(normalQuantile(0.125), 9);
    expect(q[1] + q[2]).toBeCloseTo(0, 9);
  });

  it('varies the two chosen dimensions and holds the others', () => {
    const codes = manifoldCodes({ n: 3, dims: [2, 0], base: [0.5, 0.7, 0.9], spacing: 'linear', r: 1 });
    expect(codes).toHaveLength(9);
    // Top-left cell: x at its minimum, y at its maximum.
    expect(codes[0]).toEqual([1, 0.7, -1]);
    expect(codes[8]).toEqual([-1, 0.7, 1]);
    expect(codes.every((z) => z[1] === 0.7)).toBe(true);
    expect(() => manifoldCodes({ n: 3, dims: [1, 1], base: [0, 0], spacing: 'linear' })).toThrow(
      /two different dimensions/,
    );
  });
});
