import { arch, platform } from 'node:process';

/**
 * The system's OpenBLAS, called through koffi (a C FFI whose prebuilt binaries ship inside its npm package, so
 * nothing is compiled at install). Only single-precision GEMM is used: it is what the blas backend (blas-backend.ts)
 * runs every matrix product of a training step on. On this project's 2-core machine OpenBLAS's SkylakeX kernel does
 * 512×784×512 in 1.2 ms on two threads (≈ 330 GFLOP/s) where XNNPACK on WebAssembly, one thread, needs 13 ms.
 */

export interface Blas {
  /** The library file that was loaded. */
  library: string;
  /** OpenBLAS's name for the kernel it picked for this CPU (SkylakeX, Haswell, Zen, …). */
  coreName: string;
  /** Threads OpenBLAS uses for one product. */
  threads(): number;
  setThreads(threads: number): void;
  /**
   * Row-major C = op(A)·op(B) + beta·C (cblas_sgemm with alpha = 1), op(X) = Xᵀ when its flag is set. The arrays are
   * passed by address, so they may be views into a WebAssembly heap: C is written in place.
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
}

/** "OpenBLAS SkylakeX kernel, 2 threads — /usr/lib/…/libopenblas.so.0": what `backends` and the benchmarks print. */
export function describeBlas(blas: { library: string; coreName: string; threads: number }): string {
  return `OpenBLAS ${blas.coreName} kernel, ${blas.threads} threads — ${blas.library}`;
}

export type BlasLoad = { ok: true; blas: Blas } | { ok: false; reason: string };

/** Names a library file to load instead of the usual places (a path, or a name the dynamic linker resolves). */
export const blasLibraryEnvVar = 'VAE_WORKBENCH_BLAS_LIBRARY';

export const blasInstallHint =
  'install OpenBLAS built with pthreads (Debian/Ubuntu: apt-get install libopenblas0-pthread; macOS: brew install openblas)';

/** Where OpenBLAS usually is, the pthreads build first (see loadBlas for why not the OpenMP one). */
export function blasLibraryCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = env[blasLibraryEnvVar];
  if (named !== undefined && named !== '') return [named];
  if (platform === 'darwin') {
    return [
      '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
      '/usr/local/opt/openblas/lib/libopenblas.dylib',
      'libopenblas.dylib',
    ];
  }
  if (platform === 'win32') return ['libopenblas.dll', 'openblas.dll'];
  const multiarch = arch === 'arm64' ? 'aarch64-linux-gnu' : arch === 'x64' ? 'x86_64-linux-gnu' : null;
  return [
    ...(multiarch === null ? [] : [`/usr/lib/${multiarch}/openblas-pthread/libopenblas.so.0`]),
    '/usr/lib64/libopenblasp.so.0',
    'libopenblas.so.0',
    'libopenblas.so',
  ];
}

const CblasRowMajor = 101;
const CblasNoTrans = 111;
const CblasTrans = 112;
/** openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP. */
const OPENBLAS_OPENMP = 2;

interface KoffiLike {
  load(path: string): {
    func(declaration: string): (...args: unknown[]) => unknown;
    unload(): void;
  };
}

let loaded: Promise<BlasLoad> | null = null;

/**
 * Loads OpenBLAS once per process from the first of `candidates` that opens. Its OpenMP build is refused: when Node
 * exits it unloads the library while libgomp's idle threads still run in it, and the process dies of a segmentation
 * fault (seen here on every second exit of a plain script); the pthreads build shuts its threads down first.
 */
export function loadBlas(candidates: string[] = blasLibraryCandidates()): Promise<BlasLoad> {
  loaded ??= openBlas(candidates);
  return loaded;
}

/** Opens the first usable library of `candidates`, each time it is called (loadBlas keeps one per process). */
export async function openBlas(candidates: string[]): Promise<BlasLoad> {
  let koffi: KoffiLike;
  try {
    const specifier = 'koffi';
    const module = (await import(/* @vite-ignore */ specifier)) as KoffiLike & { default?: KoffiLike };
    koffi = module.default ?? module;
  } catch (error) {
    return { ok: false, reason: `the koffi package (the FFI that calls OpenBLAS) failed to load: ${firstLine(error)}` };
  }
  // OpenBLAS reads this when it loads. Its idle threads spin 2^28 cycles (≈ 0.1 s) before they sleep, so between the
  // products of a step (the elementwise kernels, Adam) they kept a second core busy doing nothing; 2^20 (≈ 0.4 ms)
  // measured the same step times here with 20–30% less CPU (bench:profile: MLP batch 128, 25.1 → 18.3 CPU ms/step).
  process.env.OPENBLAS_THREAD_TIMEOUT ??= '20';
  const tried: string[] = [];
  for (const library of candidates) {
    let lib: ReturnType<KoffiLike['load']>;
    try {
      lib = koffi.load(library);
    } catch (error) {
      tried.push(`${library}: ${firstLine(error)}`);
      continue;
    }
    try {
      const parallel = lib.func('int openblas_get_parallel(void)')() as number;
      if (parallel === OPENBLAS_OPENMP) {
        tried.push(`${library} is OpenBLAS's OpenMP build, which crashes Node at exit`);
        lib.unload();
        continue;
      }
      const coreName = String(lib.func('const char *openblas_get_corename(void)')());
      const getThreads = lib.func('int openblas_get_num_threads(void)');
      const setThreads = lib.func('void openblas_set_num_threads(int)');
      const gemm = lib.func(
        'void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)',
      );
      const blas: Blas = {
        library,
        coreName,
        threads: () => getThreads() as number,
        setThreads: (threads) => {
          if (!Number.isInteger(threads) || threads < 1) {
            throw new RangeError(`BLAS threads = ${threads}: expected a whole number ≥ 1`);
          }
          setThreads(threads);
        },
        sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc) {
          gemm(
            CblasRowMajor,
            transA ? CblasTrans : CblasNoTrans,
            transB ? CblasTrans : CblasNoTrans,
            m,
            n,
            k,
            1,
            a,
            lda,
            b,
            ldb,
            beta,
            c,
            ldc,
          );
        },
      };
      return { ok: true, blas };
    } catch (error) {
      tried.push(`${library} is not OpenBLAS: ${firstLine(error)}`);
      lib.unload();
    }
  }
  return { ok: false, reason: `no usable OpenBLAS (${tried.join('; ')}); ${blasInstallHint}` };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
