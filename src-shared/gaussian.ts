/**
 * Φ⁻¹, the standard normal quantile function: P. J. Acklam's rational approximation (relative error < 1.15e-9).
 * Used to space manifold grids so that each cell covers equal prior mass
 * (Kingma & Welling 2014, fig. 4).
 */
const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Complementary error function: the Chebyshev fit erfcc of Numerical Recipes (Press et al.), |ε| < 1.2e-7. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p = ${p}; allowed: 0 < p < 1`);
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  return x;
}

export type GridSpacing = 'linear' | 'inverse-cdf';

/**
 * The n coordinates of a manifold axis: evenly over [−r, r], or Φ⁻¹ of the midpoints (i + ½)/n, which covers the
 * prior evenly by probability mass.
 */
export function gridAxis(n: number, spacing: GridSpacing, r = 3): number[] {
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new RangeError(`grid size ${n}: allowed: an integer from 1 to 100`);
  if (spacing === 'inverse-cdf') return Array.from({ length: n }, (_, i) => normalQuantile((i + 0.5) / n));
  if (n === 1) return [0];
  return Array.from({ length: n }, (_, i) => -r + (2 * r * i) / (n - 1));
}

/**
 * Latent codes of an n×n manifold over dimensions (dx, dy), the other dimensions fixed at `base`. Row-major with
 * y decreasing down the rows, as plots draw it.
 */
export function manifoldCodes(options: {
  n: number;
  dims: [number, number];
  base: readonly number[];
  spacing: GridSpacing;
  r?: number;
}): number[][] {
  const { n, dims, base } = options;
  const [dx, dy] = dims;
  if (dx === dy || dx < 0 || dy < 0 || dx >= base.length || dy >= base.length) {
    throw new RangeError(
      `manifold dimensions ${dx}, ${dy}: allowed: two different dimensions from 0 to ${base.length - 1}`,
    );
  }
  const axis = gridAxis(n, options.spacing, options.r);
  const codes: number[][] = [];
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const z = [...base];
      z[dx] = axis[col];
      z[dy] = axis[n - 1 - row];
      codes.push(z);
    }
  }
  return codes;
}

/** A draw from N(0, I) by Box–Muller: a random starting point for the latent explorer. */
export function randomPriorCode(latentDim: number): number[] {
  return Array.from({ length: latentDim }, () => {
    const u1 = 1 - Math.random();
    const u2 = Math.random();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  });
}
