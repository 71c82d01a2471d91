import { describe, expect, it } from 'vitest';
import {
  COLLAPSED_KL_NATS,
  LatestOnly,
  latentManifoldInput,
  lerpCodes,
  orderDimsByKl,
  pca2,
  sweepValues,
  symmetricEigen,
} from './latent';

/** Points a·u + b·v (+ mean) for a grid of (a, b): their covariance has eigenvectors u and v exactly. */
function planePoints(u: number[], v: number[], mean: number[], su: number, sv: number): number[][] {
  const points: number[][] = [];
  for (const a of [-2, -1, 0, 1, 2]) {
    for (const b of [-1, 0, 1]) points.push(mean.map((m, j) => m + su * a * u[j] + sv * b * v[j]));
  }
  return points;
}

function unit(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe('pca2', () => {
  it('recovers the known principal axes and variances of points on a tilted plane (Jacobi path)', () => {
    const u = unit([1, 1, 0]);
    const v = unit([1, -1, 2]);
    const points = planePoints(u, v, [5, -3, 1], 2, 0.5);
    const { components, variances, totalVariance, points: projected } = pca2(points);
    // Var(a) over the 5×3 grid: Σa² / (N − 1) = (3 · 10) / 14; Var(b) = (5 · 2) / 14.
    expect(variances[0]).toBeCloseTo((4 * 30) / 14, 10);
    expect(variances[1]).toBeCloseTo((0.25 * 10) / 14, 10);
    expect(totalVariance).toBeCloseTo(variances[0] + variances[1], 10);
    // Sign rule: the largest-magnitude entry is positive, so u and v come back as given.
    components[0].forEach((c, j) => expect(c).toBeCloseTo(u[j], 9));
    components[1].forEach((c, j) => expect(c).toBeCloseTo(v[j], 9));
    // Point (a, b) projects to (2a, 0.5b).
    expect(projected[0][0]).toBeCloseTo(-4, 9);
    expect(projected[0][1]).toBeCloseTo(-0.5, 9);
  });

  it('gives the same answer in 40 dimensions (subspace iteration path)', () => {
    const dim = 40;
    const u = unit(Array.from({ length: dim }, (_, j) => (j % 3 === 0 ? 1 : 0.1)));
    const w = Array.from({ length: dim }, (_, j) => Math.sin(j + 1));
    const along = w.reduce((s, x, j) => s + x * u[j], 0);
    const v = unit(w.map((x, j) => x - along * u[j]));
    const points = planePoints(u, v, new Array(dim).fill(0.3), 3, 1);
    const { components, variances } = pca2(points);
    expect(variances[0]).toBeCloseTo((9 * 30) / 14, 8);
    expect(variances[1]).toBeCloseTo(10 / 14, 8);
    const sign = (a: number[], b: number[]): number => Math.sign(a.reduce((s, x, j) => s + x * b[j], 0));
    components[0].forEach((c, j) => expect(c * sign(components[0], u)).toBeCloseTo(u[j], 7));
    components[1].forEach((c, j) => expect(c * sign(components[1], v)).toBeCloseTo(v[j], 7));
  });

  it('refuses too few points or ragged points, naming the problem', () => {
    expect(() => pca2([[1, 2]])).toThrow(/at least 2 points; got 1/);
    expect(() => pca2([[1], [2]])).toThrow(/at least 2 dimensions; got 1/);
    expect(() =>
      pca2([
        [1, 2],
        [1, 2, 3],
      ]),
    ).toThrow(/point 1 has 3 dimensions but point 0 has 2/);
  });
});

describe('symmetricEigen', () => {
  it('diagonalises a 2×2 matrix with a known answer', () => {
    // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with eigenvectors (1, 1)/√2 and (1, −1)/√2.
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0][0])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0][0] * vectors[0][1]).toBeGreaterThan(0);
    expect(vectors[1][0] * vectors[1][1]).toBeLessThan(0);
  });
});

describe('orderDimsByKl', () => {
  it('puts the most informative dimensions first and marks collapsed ones', () => {
    const rows = orderDimsByKl([0.001, 2.5, 0.2, Number.NaN, COLLAPSED_KL_NATS]);
    expect(rows.map((r) => r.dim)).toEqual([1, 2, 4, 0, 3]);
    expect(rows.map((r) => r.collapsed)).toEqual([false, false, false, true, true]);
  });
});

describe('sweeps and interpolation', () => {
  it('sweeps [−range, range] evenly', () => {
    expect(sweepValues(5, 3)).toEqual([-3, -1.5, 0, 1.5, 3]);
  });

  it('interpolates on the straight line, endpoints included', () => {
    const codes = lerpCodes([0, 2], [4, -2], 3);
    expect(codes).toEqual([
      [0, 2],
      [2, 0],
      [4, -2],
    ]);
    expect(() => lerpCodes([0], [1, 2], 2)).toThrow(/1 and 2 dimensions/);
  });
});

describe('request schemas', () => {
  it('fills defaults and refuses a grid larger than 30', () => {
    const parsed = latentManifoldInput.parse({ runId: 1, n: 10, dims: [0, 1] });
    expect(parsed).toMatchObject({ base: 'zero', spacing: 'inverse-cdf', r: 3 });
    expect(latentManifoldInput.safeParse({ runId: 1, n: 31, dims: [0, 1] }).success).toBe(false);
  });
});

describe('LatestOnly', () => {
  it('keeps one request in flight and skips stale inputs, always ending on the newest', async () => {
    const started: number[] = [];
    const shown: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const releases: (() => void)[] = [];
    const coalescer = new LatestOnly<number, number>(
      (x) => {
        started.push(x);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        return new Promise((resolve) =>
          releases.push(() => {
            inFlight--;
            resolve(x * 10);
          }),
        );
      },
      (y) => shown.push(y),
    );
    for (let x = 1; x <= 5; x++) coalescer.push(x);
    expect(coalescer.busy).toBe(true);
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([1, 5]);
    expect(shown).toEqual([10, 50]);
    expect(maxInFlight).toBe(1);
    expect(coalescer.busy).toBe(false);
  });

  it('reports a failed request and goes on with the next', async () => {
    const errors: unknown[] = [];
    const shown: number[] = [];
    const coalescer = new LatestOnly<number, number>(
      async (x) => {
        if (x === 1) throw new Error('boom');
        return x;
      },
      (y) => shown.push(y),
      (e) => errors.push(e),
    );
    coalescer.push(1);
    coalescer.push(2);
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toHaveLength(1);
    expect(shown).toEqual([2]);
  });
});
