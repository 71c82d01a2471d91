import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blasInstallHint, blasLibraryCandidates, blasLibraryEnvVar, loadBlas, openBlas, type Blas } from './blas';

/** op(A)·op(B) in double precision, row-major, the way the textbook writes it. */
function reference(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++)
        sum += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = sum;
    }
  }
  return c;
}

function filled(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(seed + i * 0.37) * 2);
}

async function theBlas(): Promise<Blas> {
  const load = await loadBlas();
  if (!load.ok) throw new Error(load.reason);
  return load.blas;
}

describe('OpenBLAS through koffi', () => {
  it('loads the pthreads build and names its kernel and threads', async () => {
    const blas = await theBlas();
    expect(blas.library).toMatch(/openblas/i);
    expect(blas.coreName.length).toBeGreaterThan(0);
    expect(blas.threads()).toBeGreaterThanOrEqual(1);
  });

  it('computes op(A)·op(B) for every pair of transposes, into views at offsets of one shared buffer', async () => {
    const blas = await theBlas();
    const [m, n, k] = [7, 5, 11];
    // One buffer for all three, as the wasm heap is: the views must be used where they start.
    const heap = new ArrayBuffer(4 * (3 + m * k + k * n + m * n));
    const a = new Float32Array(heap, 4 * 3, m * k);
    const b = new Float32Array(heap, 4 * (3 + m * k), k * n);
    const c = new Float32Array(heap, 4 * (3 + m * k + k * n), m * n);
    a.set(filled(m * k, 1));
    b.set(filled(k * n, 2));
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      c.fill(Number.NaN);
      blas.sgemm(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, 0, c, n);
      const expected = reference(transA, transB, m, n, k, a, b);
      for (let i = 0; i < m * n; i++) expect(c[i]).toBeCloseTo(expected[i], 4);
    }
    // beta = 1 adds to what C holds.
    const before = Float32Array.from(c);
    blas.sgemm(true, true, m, n, k, a, m, b, k, 1, c, n);
    const product = reference(true, true, m, n, k, a, b);
    for (let i = 0; i < m * n; i++) expect(c[i]).toBeCloseTo(before[i] + product[i], 4);
  });

  it('sets its threads, refusing a count that is not a whole number ≥ 1', async () => {
    const blas = await theBlas();
    const threads = blas.threads();
    blas.setThreads(1);
    expect(blas.threads()).toBe(1);
    blas.setThreads(threads);
    expect(() => blas.setThreads(0)).toThrow(/BLAS threads = 0: expected a whole number ≥ 1/);
    expect(() => blas.setThreads(1.5)).toThrow(/1\.5/);
  });

  it('says which library it tried and how to install one when none opens', async () => {
    const load = await openBlas(['/nonexistent/libopenblas.so.0']);
    expect(load.ok).toBe(false);
    if (load.ok) return;
    expect(load.reason).toContain('/nonexistent/libopenblas.so.0');
    expect(load.reason).toContain(blasInstallHint);
  });

  it('refuses a library that is not OpenBLAS', async () => {
    const libm = ['/lib/x86_64-linux-gnu/libm.so.6', '/lib/aarch64-linux-gnu/libm.so.6'].find(existsSync);
    if (libm === undefined) return;
    const load = await openBlas([libm]);
    expect(load.ok).toBe(false);
    if (!load.ok) expect(load.reason).toContain(`${libm} is not OpenBLAS`);
  });

  const openmp = '/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0';
  it.skipIf(!existsSync(openmp))("refuses OpenBLAS's OpenMP build, which crashes Node at exit", async () => {
    const load = await openBlas([openmp]);
    expect(load.ok).toBe(false);
    if (!load.ok) expect(load.reason).toContain('OpenMP build');
  });

  it(`takes the library from ${blasLibraryEnvVar} alone when it is set`, () => {
    expect(blasLibraryCandidates({ [blasLibraryEnvVar]: '/opt/blas/libopenblas.so' })).toEqual([
      '/opt/blas/libopenblas.so',
    ]);
    expect(blasLibraryCandidates({}).length).toBeGreaterThan(1);
  });
});
