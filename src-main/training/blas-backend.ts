import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Blas } from './blas';

/**
 * The `blas` backend: TF.js's WebAssembly backend with every matrix product (BatchMatMul, _FusedMatMul) done by the
 * system's OpenBLAS on all the cores it is given, straight on the tensors in the wasm heap (no copies). Everything else
 * (elementwise ops, reductions, Conv2D) is the wasm backend's own kernels on the backend's own wasm instance.
 * Profiled on this 2-core machine, the reference MLP step at batch 512 spent 66 of its 93 ms in XNNPACK's
 * one-threaded matMuls. OpenBLAS also takes transposed operands as they are, so no Transpose kernel runs for them.
 *
 * Its numbers differ from wasm's in the last bits (another summation order) but are the same from run to run, and
 * for any thread count (blas-backend.test.ts checks both): OpenBLAS splits a product's rows and columns between
 * threads, but above its block size (GEMM_Q: 384 for sgemm on SkylakeX) its threaded and one-thread drivers cut the
 * inner sum in different places (measured here: K = 500, 600, 784 differed between 1 and 2 threads; K ≤ 384, 512, 768
 * did not). So the inner sum is cut here, into equal pieces of at most 256, and the pieces added in order.
 */

export const blasBackendName = 'blas';

interface WasmTensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

let registered: Blas | null = null;

/**
 * Registers the blas backend once: a new wasm backend instance under the name 'blas', the wasm backend's kernels
 * under that name, and the two product kernels replaced.
 */
export async function registerBlasBackend(blas: Blas): Promise<void> {
  if (registered !== null) return;
  await import('@tensorflow/tfjs-backend-wasm');
  const wasmFactory = tf.findBackendFactory('wasm');
  if (wasmFactory === null) throw new Error('the wasm backend did not register');
  registered = blas;
  // Each backend instance has its own wasm module and heap; the kernels' setup binds them to whichever is active.
  tf.registerBackend(blasBackendName, async () => await wasmFactory(), 0);
  const replaced = new Map<string, (fallback: tf.KernelFunc) => tf.KernelFunc>([
    [tf.BatchMatMul, (fallback) => (args) => batchMatMul(blas, args, fallback)],
    [tf._FusedMatMul, (fallback) => (args) => fusedMatMul(blas, args, fallback)],
  ]);
  for (const kernel of tf.getKernelsForBackend('wasm')) {
    const replace = replaced.get(kernel.kernelName);
    tf.registerKernel({
      ...kernel,
      backendName: blasBackendName,
      kernelFunc: replace === undefined ? kernel.kernelFunc : replace(kernel.kernelFunc),
    });
  }
}

interface Product {
  /** Shape of the result: the broadcast batch dimensions, then m × n. */
  outShape: number[];
  batch: number;
  m: number;
  n: number;
  k: number;
  /** Elements between one batch entry of a (b) and the next; 0 when it is broadcast. */
  strideA: number;
  strideB: number;
}

/** Shapes of op(a)·op(b) over leading batch dimensions, with the same checks and broadcasting as TF.js's matMul. */
function productShape(a: WasmTensorInfo, b: WasmTensorInfo, transposeA: boolean, transposeB: boolean): Product | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  // Like the wasm kernel: one side's batch may be 1 (broadcast), else both must agree.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return {
    outShape: [...outer, m, n],
    batch: Math.max(batchA, batchB),
    m,
    n,
    k,
    strideA: batchA === 1 ? 0 : m * k,
    strideB: batchB === 1 ? 0 : k * n,
  };
}

/** The wasm heap as it is now: growing it replaces the ArrayBuffer, so it is read again after every allocation. */
function heapOf(backend: BackendWasm): ArrayBuffer {
  // Emscripten's module has HEAPU8; the backend's type declarations leave it out.
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer as ArrayBuffer;
}

function offsetOf(backend: BackendWasm, tensor: WasmTensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}

/** Runs the product into a new output tensor; null when the shapes need the wasm kernel's general broadcasting. */
function product(
  blas: Blas,
  backend: BackendWasm,
  a: WasmTensorInfo,
  b: WasmTensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): { out: WasmTensorInfo; shape: Product } | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const shape = productShape(a, b, transposeA, transposeB);
  if (shape === null) return null;
  const { batch, m, n, k, strideA, strideB } = shape;
  const out = backend.makeOutput(shape.outShape, 'float32') as WasmTensorInfo;
  if (batch * m * n === 0) return { out, shape };
  // After makeOutput: allocating may have grown the heap, which replaces its ArrayBuffer.
  const heap = heapOf(backend);
  const c = new Float32Array(heap, offsetOf(backend, out), batch * m * n);
  if (k === 0) {
    c.fill(0);
    return { out, shape };
  }
  const aOffset = offsetOf(backend, a);
  const bOffset = offsetOf(backend, b);
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  const pieces = Math.ceil(k / INNER_PIECE);
  const piece = Math.ceil(k / pieces);
  for (let i = 0; i < batch; i++) {
    const output = c.subarray(i * m * n, (i + 1) * m * n);
    for (let start = 0; start < k; start += piece) {
      // Where columns start..start+piece of op(A) and rows of op(B) begin; the leading dimensions stay the whole.
      const aStart = aOffset + 4 * (i * strideA + (transposeA ? start * m : start));
      const bStart = bOffset + 4 * (i * strideB + (transposeB ? start : start * n));
      blas.sgemm(
        transposeA,
        transposeB,
        m,
        n,
        Math.min(piece, k - start),
        new Float32Array(heap, aStart),
        lda,
        new Float32Array(heap, bStart),
        ldb,
        start === 0 ? 0 : 1,
        output,
        n,
      );
    }
  }
  return { out, shape };
}

/** The longest inner sum handed to OpenBLAS in one call (see the top of this file). */
const INNER_PIECE = 256;

function batchMatMul(blas: Blas, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as { a: WasmTensorInfo; b: WasmTensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const result = product(blas, args.backend as BackendWasm, a, b, transposeA, transposeB);
  return result === null ? fallback(args) : (result.out as tf.TensorInfo);
}

/**
 * act(op(a)·op(b) + bias): the product on OpenBLAS, then bias and activation in one pass over the result. A bias or
 * PReLU slopes that are not one value per column (or one value for all) go to the wasm kernel.
 */
function fusedMatMul(blas: Blas, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b, bias, preluActivationWeights } = args.inputs as {
    a: WasmTensorInfo;
    b: WasmTensorInfo;
    bias?: WasmTensorInfo;
    preluActivationWeights?: WasmTensorInfo;
  };
  const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as {
    transposeA: boolean;
    transposeB: boolean;
    activation?: string;
    leakyreluAlpha?: number;
  };
  const backend = args.backend as BackendWasm;
  const epilogue = epilogueOf(activation, leakyreluAlpha);
  const columns = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  // A vector over the columns or a single value: what a row of the result can take as it is.
  const rowLike = (t: WasmTensorInfo | undefined): boolean =>
    t == null || (t.dtype === 'float32' && t.shape.length === 1 && (t.shape[0] === columns || t.shape[0] === 1));
  const prelu = activation === 'prelu';
  const slopesFit = prelu
    ? preluActivationWeights != null && rowLike(preluActivationWeights)
    : preluActivationWeights == null;
  const usable = (epilogue !== null || prelu) && rowLike(bias) && slopesFit;
  if (!usable) return fallback(args);
  const result = product(blas, backend, a, b, transposeA, transposeB);
  if (result === null) return fallback(args);
  const { out, shape } = result;
  const n = shape.n;
  const size = shape.batch * shape.m * n;
  if (bias == null && epilogue === identity) return out as tf.TensorInfo;
  const heap = heapOf(backend);
  const c = new Float32Array(heap, offsetOf(backend, out), size);
  // The bias as a row of n values (a scalar bias repeated), so every case below is one loop without branches on it.
  const rowOf = (t: WasmTensorInfo | undefined): Float32Array => {
    const values = new Float32Array(n);
    if (t == null) return values;
    if (t.shape[0] === 1) values.fill(new Float32Array(heap, offsetOf(backend, t), 1)[0]);
    else values.set(new Float32Array(heap, offsetOf(backend, t), n));
    return values;
  };
  const row = rowOf(bias);
  if (prelu) {
    // PReLU (He et al. 2015): x for x ≥ 0, αⱼ·x below, with a slope per column.
    const slopes = rowOf(preluActivationWeights);
    for (let start = 0; start < size; start += n) {
      for (let j = 0; j < n; j++) {
        const value = c[start + j] + row[j];
        c[start + j] = value < 0 ? slopes[j] * value : value;
      }
    }
    return out as tf.TensorInfo;
  }
  if (epilogue === null) throw new Error(`_FusedMatMul: no epilogue for activation '${activation}'`);
  // The two activations training uses get their own loops: a call per element would cost as much as the product.
  if (epilogue === identity) {
    for (let start = 0; start < size; start += n) for (let j = 0; j < n; j++) c[start + j] += row[j];
  } else if (epilogue === relu) {
    for (let start = 0; start < size; start += n) {
      for (let j = 0; j < n; j++) {
        const value = c[start + j] + row[j];
        c[start + j] = value < 0 ? 0 : value;
      }
    }
  } else {
    for (let start = 0; start < size; start += n) {
      for (let j = 0; j < n; j++) c[start + j] = epilogue(c[start + j] + row[j]);
    }
  }
  return out as tf.TensorInfo;
}

const identity = (x: number): number => x;
// x < 0 rather than max(0, x): NaN stays NaN, as it does in the wasm kernel.
const relu = (x: number): number => (x < 0 ? 0 : x);

/** The activations tf.fused.matMul offers, as TF.js defines them (tfjs-core fused_util.applyActivation); PReLU apart. */
function epilogueOf(
  activation: string | undefined,
  leakyreluAlpha: number | undefined,
): ((x: number) => number) | null {
  switch (activation ?? 'linear') {
    case 'linear':
      return identity;
    case 'relu':
      return relu;
    case 'relu6':
      return (x) => (x < 0 ? 0 : x > 6 ? 6 : x);
    case 'elu':
      return (x) => (x < 0 ? Math.exp(x) - 1 : x);
    case 'sigmoid':
      return (x) => 1 / (1 + Math.exp(-x));
    case 'leakyrelu': {
      const alpha = leakyreluAlpha ?? 0.2;
      return (x) => (x < 0 ? alpha * x : x);
    }
    default:
      return null;
  }
}

/** The OpenBLAS in use once the blas backend is registered (for threads and the run's backend description). */
export function blasInUse(): Blas | null {
  return registered;
}
