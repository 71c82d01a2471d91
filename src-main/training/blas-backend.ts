import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Blas } from './blas';

/**
 * The `blas` backend: TF.js's WebAssembly backend with every matrix product (BatchMatMul, _FusedMatMul, and Conv2D /
 * FusedConv2D as a product of patches) done by the system's OpenBLAS on all the cores it is given, straight on the
 * tensors in the wasm heap. Everything else (elementwise ops, reductions) is the wasm backend's own kernels on the
 * backend's own wasm instance.
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
 * under that name, the product and convolution kernels replaced, and the convolution's filter gradient added.
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
    [tf.Conv2D, (fallback) => (args) => conv2d(blas, args, fallback, false)],
    [tf.FusedConv2D, (fallback) => (args) => conv2d(blas, args, fallback, true)],
    [tf.Slice, (fallback) => (args) => slice(args, fallback)],
    [tf.PadV2, (fallback) => (args) => pad(args, fallback)],
  ]);
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: blasBackendName,
    kernelFunc: (args) => conv2dFilterGrad(blas, args),
  });
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
  m: number;
  n: number;
  k: number;
  /** For each matrix of the result, in order: where its operands start in a and in b (elements). */
  starts: { a: number; b: number }[];
}

/**
 * Shapes of op(a)·op(b) over leading batch dimensions, broadcast as NumPy does (a size-1 dimension repeats), with
 * TF.js's messages. The wasm and cpu kernels only handle one side's whole batch being 1: for a [3, 1, m, k] times
 * b [1, 3, k, n] they fill 3 of the 9 products of the [3, 3, m, n] result.
 */
function productShape(a: WasmTensorInfo, b: WasmTensorInfo, transposeA: boolean, transposeB: boolean): Product {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) {
    throw new Error(`Error in matMul: inputs must have rank at least 2, got ranks ${ra} and ${rb}.`);
  }
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const leadA = a.shape.slice(0, -2);
  const leadB = b.shape.slice(0, -2);
  const outer = tf.backend_util.assertAndGetBroadcastShape(leadA, leadB);
  const batch = tf.util.sizeFromShape(outer);
  // Each operand's leading dimensions aligned to the right of outer's, with its matrix stride per dimension (0 where
  // it has size 1 or is missing: that dimension repeats).
  const stridesOf = (lead: number[], matrix: number): number[] => {
    const strides = new Array<number>(outer.length).fill(0);
    let stride = matrix;
    for (let d = lead.length - 1; d >= 0; d--) {
      if (lead[d] !== 1) strides[outer.length - lead.length + d] = stride;
      stride *= lead[d];
    }
    return strides;
  };
  const stridesA = stridesOf(leadA, m * k);
  const stridesB = stridesOf(leadB, k * n);
  const starts: { a: number; b: number }[] = [];
  for (let t = 0; t < batch; t++) {
    let rest = t;
    let startA = 0;
    let startB = 0;
    for (let d = outer.length - 1; d >= 0; d--) {
      const index = rest % outer[d];
      rest = Math.floor(rest / outer[d]);
      startA += index * stridesA[d];
      startB += index * stridesB[d];
    }
    starts.push({ a: startA, b: startB });
  }
  return { outShape: [...outer, m, n], m, n, k, starts };
}

/** The wasm heap as it is now: growing it replaces the ArrayBuffer, so it is read again after every allocation. */
function heapOf(backend: BackendWasm): ArrayBuffer {
  // Emscripten's module has HEAPU8; the backend's type declarations leave it out.
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer as ArrayBuffer;
}

function offsetOf(backend: BackendWasm, tensor: WasmTensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId)!.memoryOffset;
}

/**
 * C = op(A)·op(B) (or C += op(A)·op(B) when accumulating) on OpenBLAS, A, B and C row-major views that start at their
 * first element, C m × n. The inner sum goes in pieces of at most INNER_PIECE, added in order, so the thread count
 * never changes a bit.
 */
function gemm(
  blas: Blas,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate = false,
): void {
  if (m * n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, 0, m * n);
    return;
  }
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const pieces = Math.ceil(k / INNER_PIECE);
  const piece = Math.ceil(k / pieces);
  for (let start = 0; start < k; start += piece) {
    // Where columns start… of op(A) and rows start… of op(B) begin; the leading dimensions stay those of the whole.
    blas.sgemm(
      transA,
      transB,
      m,
      n,
      Math.min(piece, k - start),
      a.subarray(transA ? start * m : start),
      lda,
      b.subarray(transB ? start : start * n),
      ldb,
      start === 0 && !accumulate ? 0 : 1,
      c,
      n,
    );
  }
}

/** The longest inner sum handed to OpenBLAS in one call (see the top of this file). */
const INNER_PIECE = 256;

/** The tensor's values in the heap as it is now (read again after any allocation, which may grow it). */
function view(
  backend: BackendWasm,
  tensor: WasmTensorInfo,
  length = tf.util.sizeFromShape(tensor.shape),
): Float32Array {
  return new Float32Array(heapOf(backend), offsetOf(backend, tensor), length);
}

/** Runs the product into a new output tensor; null for dtypes other than float32 (the wasm kernel says what it takes). */
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
  const { m, n, k, starts } = shape;
  const out = backend.makeOutput(shape.outShape, 'float32') as WasmTensorInfo;
  filling(backend, out, () => {
    const c = view(backend, out);
    const av = view(backend, a);
    const bv = view(backend, b);
    starts.forEach((start, i) =>
      gemm(blas, transposeA, transposeB, m, n, k, av.subarray(start.a), bv.subarray(start.b), c.subarray(i * m * n)),
    );
  });
  return { out, shape };
}

/** Runs `fill` on a new output, which is freed if it throws (a kernel that fails must not leave heap behind). */
function filling(backend: BackendWasm, out: WasmTensorInfo, fill: () => void): void {
  try {
    fill();
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
}

function batchMatMul(blas: Blas, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as { a: WasmTensorInfo; b: WasmTensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const result = product(blas, args.backend as BackendWasm, a, b, transposeA, transposeB);
  return result === null ? fallback(args) : (result.out as tf.TensorInfo);
}

/** What a fused kernel adds after its product: a bias and an activation (tfjs-core fused_util). */
interface Fusion {
  bias?: WasmTensorInfo;
  preluActivationWeights?: WasmTensorInfo;
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * Whether the epilogue below can apply this fusion to a result of `columns` columns: a bias and PReLU slopes must be
 * one value per column (or one for all), as the wasm kernels also require.
 */
function fusable(fusion: Fusion, columns: number): boolean {
  const rowLike = (t: WasmTensorInfo | undefined): boolean =>
    t == null || (t.dtype === 'float32' && t.shape.length === 1 && (t.shape[0] === columns || t.shape[0] === 1));
  if (!rowLike(fusion.bias)) return false;
  if (fusion.activation === 'prelu')
    return fusion.preluActivationWeights != null && rowLike(fusion.preluActivationWeights);
  return fusion.preluActivationWeights == null && epilogueOf(fusion.activation, fusion.leakyreluAlpha) !== null;
}

/** act(c + bias) in place over `size` values in rows of n (c in the heap: read after every allocation). */
function applyFusion(backend: BackendWasm, fusion: Fusion, out: WasmTensorInfo, n: number): void {
  const epilogue = epilogueOf(fusion.activation, fusion.leakyreluAlpha);
  if (fusion.bias == null && epilogue === identity) return;
  const c = view(backend, out);
  const size = c.length;
  // A bias (or slopes) as a row of n values, a single value repeated: every loop below is free of branches on it.
  const rowOf = (t: WasmTensorInfo | undefined): Float32Array => {
    const values = new Float32Array(n);
    if (t == null) return values;
    if (t.shape[0] === 1) values.fill(view(backend, t, 1)[0]);
    else values.set(view(backend, t, n));
    return values;
  };
  const row = rowOf(fusion.bias);
  if (fusion.activation === 'prelu') {
    // PReLU (He et al. 2015): x for x ≥ 0, αⱼ·x below, with a slope per column.
    const slopes = rowOf(fusion.preluActivationWeights);
    for (let start = 0; start < size; start += n) {
      for (let j = 0; j < n; j++) {
        const value = c[start + j] + row[j];
        c[start + j] = value < 0 ? slopes[j] * value : value;
      }
    }
    return;
  }
  if (epilogue === null) throw new Error(`no fused form of activation '${fusion.activation}'`);
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
}

/**
 * act(op(a)·op(b) + bias): the product on OpenBLAS, then bias and activation in one pass over the result. A bias or
 * PReLU slopes that are not one value per column (or one value for all) go to the wasm kernel.
 */
function fusedMatMul(blas: Blas, args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, WasmTensorInfo | undefined> as {
    a: WasmTensorInfo;
    b: WasmTensorInfo;
    bias?: WasmTensorInfo;
    preluActivationWeights?: WasmTensorInfo;
  };
  const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean } & Fusion;
  const fusion: Fusion = { ...attrs, bias, preluActivationWeights };
  const backend = args.backend as BackendWasm;
  const columns = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  if (!fusable(fusion, columns)) return fallback(args);
  const result = product(blas, backend, a, b, attrs.transposeA, attrs.transposeB);
  if (result === null) return fallback(args);
  applyFusion(backend, fusion, result.out, result.shape.n);
  return result.out as tf.TensorInfo;
}

/** Patch matrices of the convolutions, reused from call to call. */
let patchBuffer = new Float32Array(0);

/** At most this many values of patches at a time (32 MB): larger convolutions go in blocks of output rows. */
const PATCH_VALUES = 1 << 23;

/** Blocks of at most PATCH_VALUES patch values, whole rows, a multiple of INNER_PIECE rows where there are enough. */
function rowBlocks(rows: number, k: number): { first: number; count: number }[] {
  const fit = Math.max(1, Math.floor(PATCH_VALUES / Math.max(1, k)));
  const size = fit >= rows ? rows : Math.max(Math.min(fit, INNER_PIECE), fit - (fit % INNER_PIECE));
  const blocks: { first: number; count: number }[] = [];
  for (let first = 0; first < rows; first += size) blocks.push({ first, count: Math.min(size, rows - first) });
  return blocks;
}

/**
 * Rows first … first + count − 1 of the patches of x, [N·outH·outW, kh·kw·C] (valid until the next call): row
 * (n, oy, ox) holds the window x[n, oy·sh − top + p, ox·sw − left + q, c] over (p, q, c), zero outside x. Each
 * (row, p) is one run of kw·C neighbouring values of x (dilation 1), copied whole.
 */
function patchesOf(xv: Float32Array, info: tf.backend_util.Conv2DInfo, first: number, count: number): Float32Array {
  const { inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const k = kh * kw * c;
  if (patchBuffer.length < count * k) patchBuffer = new Float32Array(count * k);
  const patches = patchBuffer.subarray(0, count * k);
  const run = kw * c;
  const end = first + count;
  for (let at0 = first; at0 < end;) {
    // Rows of one output row (n, oy) at a time, from the pixel the block starts at.
    const b = Math.floor(at0 / (outHeight * outWidth));
    const oy = Math.floor(at0 / outWidth) % outHeight;
    const ox0 = at0 % outWidth;
    const oxEnd = Math.min(outWidth, ox0 + (end - at0));
    for (let ox = ox0, row = at0 - first; ox < oxEnd; ox++, row++) {
      const x0 = ox * strideWidth - left;
      // The window's columns inside x: q from qa to qb − 1.
      const qa = x0 < 0 ? -x0 : 0;
      const qb = x0 + kw > inWidth ? inWidth - x0 : kw;
      for (let p = 0; p < kh; p++) {
        const at = row * k + p * run;
        const y = oy * strideHeight - top + p;
        if (y < 0 || y >= inHeight || qb <= qa) {
          patches.fill(0, at, at + run);
          continue;
        }
        if (qa > 0) patches.fill(0, at, at + qa * c);
        const from = ((b * inHeight + y) * inWidth + x0 + qa) * c;
        const length = (qb - qa) * c;
        // A short run is cheaper copied by hand than through a subarray object.
        if (length < 32) for (let t = 0; t < length; t++) patches[at + qa * c + t] = xv[from + t];
        else patches.set(xv.subarray(from, from + length), at + qa * c);
        if (qb < kw) patches.fill(0, at + qb * c, at + run);
      }
    }
    at0 += oxEnd - ox0;
  }
  return patches;
}

/**
 * Conv2DBackpropFilter, which the wasm backend lacks: dF = patches(x)ᵀ·dy, [kh·kw·C, O], the filter's own layout.
 * Dilations other than 1 and NCHW are refused, as no layer here uses them.
 */
function conv2dFilterGrad(blas: Blas, args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: WasmTensorInfo; dy: WasmTensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = args.backend as BackendWasm;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') throw new Error('Conv2DBackpropFilter on the blas backend needs NHWC');
  const out = backend.makeOutput(attrs.filterShape, 'float32') as WasmTensorInfo;
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const o = info.outChannels;
  filling(backend, out, () => {
    // Nothing below allocates in the heap, so these views stay valid.
    const [xv, dyv, grad] = [view(backend, x), view(backend, dy), view(backend, out)];
    // No output pixel (an empty batch, a window larger than the padded input): no term, a zero gradient.
    if (rows === 0) grad.fill(0);
    for (const { first, count } of rowBlocks(rows, k)) {
      const patches = patchesOf(xv, info, first, count);
      gemm(blas, true, false, k, o, count, patches, dyv.subarray(first * o, (first + count) * o), grad, first > 0);
    }
  });
  return out as tf.TensorInfo;
}

/**
 * Conv2D (and FusedConv2D) as one product, the way Caffe and PyTorch's CPU path do it ("im2col", Chellapilla et al.
 * 2006): the patches of x, one row per output pixel, [N·outH·outW, kh·kw·C], times the filter read as [kh·kw·C, O],
 * is the NHWC output. A patch row is kh runs of kw·C neighbouring values of x (dilation 1), copied whole, with zeros
 * where the window hangs over the padding. On XNNPACK's one thread the conv VAE's convolutions took 102 of 180 ms per
 * step at batch 128; this puts them on OpenBLAS and every core. Other layouts and dilations go to the wasm kernel.
 */
function conv2d(
  blas: Blas,
  args: KernelArgs,
  fallback: tf.KernelFunc,
  fused: boolean,
): tf.TensorInfo | tf.TensorInfo[] {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, WasmTensorInfo | undefined> as {
    x: WasmTensorInfo;
    filter: WasmTensorInfo;
    bias?: WasmTensorInfo;
    preluActivationWeights?: WasmTensorInfo;
  };
  const attrs = args.attrs as unknown as tf.Conv2DAttrs & Fusion;
  const backend = args.backend as BackendWasm;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return fallback(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const fusion: Fusion = fused ? { ...attrs, bias, preluActivationWeights } : {};
  if (info.dataFormat !== 'channelsLast' || info.dilationWidth !== 1 || info.dilationHeight !== 1)
    return fallback(args);
  if (fused && !fusable(fusion, info.outChannels)) return fallback(args);
  const outChannels = info.outChannels;
  const out = backend.makeOutput(info.outShape, 'float32') as WasmTensorInfo;
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  filling(backend, out, () => {
    // Nothing below allocates in the heap, so these views stay valid.
    const [xv, fv, y] = [view(backend, x), view(backend, filter), view(backend, out)];
    for (const { first, count } of rowBlocks(rows, k)) {
      const patches = patchesOf(xv, info, first, count);
      gemm(blas, false, false, count, outChannels, k, patches, fv, y.subarray(first * outChannels));
    }
    if (fused) applyFusion(backend, fusion, out, outChannels);
  });
  return out as tf.TensorInfo;
}

/**
 * Copies the box `extent` at `fromStart` of a row-major array of shape `fromShape` to `toStart` of one of shape
 * `toShape`, a run of neighbouring values at a time: the trailing axes the box spans whole in both arrays merge into
 * one run. Slice and PadV2 are both this copy; the wasm backend's Slice first copies its whole input out of the heap
 * and its PadV2 loops per value (4 ms for the conv VAE's [128, 30, 30, 1] crop at batch 128).
 */
function copyBox(
  from: Float32Array | Int32Array,
  fromShape: readonly number[],
  fromStart: readonly number[],
  to: Float32Array | Int32Array,
  toShape: readonly number[],
  toStart: readonly number[],
  extent: readonly number[],
): void {
  const rank = extent.length;
  if (rank === 0) {
    to[0] = from[0];
    return;
  }
  if (tf.util.sizeFromShape(extent as number[]) === 0) return;
  let axis = rank - 1;
  let run = 1;
  // The run: the whole trailing axes, then as much of the next axis as the box spans.
  while (axis > 0 && extent[axis] === fromShape[axis] && extent[axis] === toShape[axis]) run *= extent[axis--];
  run *= extent[axis];
  const fromStrides = tf.util.computeStrides(fromShape as number[]);
  const toStrides = tf.util.computeStrides(toShape as number[]);
  const stride = (strides: number[], a: number): number => (a === rank - 1 ? 1 : strides[a]);
  let fromAt = 0;
  let toAt = 0;
  for (let a = 0; a < rank; a++) {
    fromAt += fromStart[a] * stride(fromStrides, a);
    toAt += toStart[a] * stride(toStrides, a);
  }
  // An odometer over the axes before `axis`.
  const index = new Array<number>(axis).fill(0);
  for (;;) {
    if (run < 32) for (let t = 0; t < run; t++) to[toAt + t] = from[fromAt + t];
    else to.set(from.subarray(fromAt, fromAt + run), toAt);
    let a = axis - 1;
    while (a >= 0) {
      index[a] += 1;
      fromAt += stride(fromStrides, a);
      toAt += stride(toStrides, a);
      if (index[a] < extent[a]) break;
      fromAt -= extent[a] * stride(fromStrides, a);
      toAt -= extent[a] * stride(toStrides, a);
      index[a] = 0;
      a -= 1;
    }
    if (a < 0) return;
  }
}

/** view() for int32 tensors too (Slice and PadV2 copy either). */
function typedView(backend: BackendWasm, tensor: WasmTensorInfo): Float32Array | Int32Array {
  if (tensor.dtype !== 'int32') return view(backend, tensor);
  return new Int32Array(heapOf(backend), offsetOf(backend, tensor), tf.util.sizeFromShape(tensor.shape));
}

function slice(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const x = (args.inputs as unknown as { x: WasmTensorInfo }).x;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return fallback(args);
  const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
  const [start, extent] = tf.slice_util.parseSliceParams(x as tf.TensorInfo, begin, size);
  tf.slice_util.assertParamsValid(x as tf.TensorInfo, start, extent);
  const backend = args.backend as BackendWasm;
  const out = backend.makeOutput(extent, x.dtype as tf.DataType) as WasmTensorInfo;
  copyBox(
    typedView(backend, x),
    x.shape,
    start,
    typedView(backend, out),
    extent,
    new Array<number>(extent.length).fill(0),
    extent,
  );
  return out as tf.TensorInfo;
}

function pad(args: KernelArgs, fallback: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const x = (args.inputs as unknown as { x: WasmTensorInfo }).x;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return fallback(args);
  const { paddings, constantValue } = args.attrs as unknown as tf.PadV2Attrs;
  const backend = args.backend as BackendWasm;
  const outShape = paddings.map(([before, after], i) => before + x.shape[i] + after);
  const out = backend.makeOutput(outShape, x.dtype as tf.DataType) as WasmTensorInfo;
  const to = typedView(backend, out);
  to.fill(constantValue);
  copyBox(
    typedView(backend, x),
    x.shape,
    new Array<number>(x.shape.length).fill(0),
    to,
    outShape,
    paddings.map(([before]) => before),
    x.shape,
  );
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
