import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src-shared/config';
import type { CheckpointPayload, EpochResult } from '../records';
import { rectanglesDataset } from '../testing/rectangles-dataset';
import { rectanglesConfig } from '../testing/wasm';
import { selectBackend, setCpuThreads } from './backend';
import { blasInUse } from './blas-backend';
import { dense, denseReference } from './dense';
import { trainRun } from './trainer';

beforeAll(async () => {
  const info = await selectBackend('blas');
  expect(info.backend).toBe('blas');
});

afterAll(async () => {
  await selectBackend('wasm');
});

function values(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(seed * 7.1 + i * 0.61) * 1.5);
}

/** [batch, m, n] product of row-major blocks in double precision; batch 1 on either side is broadcast. */
function product(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): number[] {
  const [ba, ra, ca] = aShape.length === 3 ? aShape : [1, ...aShape];
  const [bb, rb, cb] = bShape.length === 3 ? bShape : [1, ...bShape];
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const n = transposeB ? rb : cb;
  const out: number[] = [];
  for (let t = 0; t < Math.max(ba, bb); t++) {
    const ao = (ba === 1 ? 0 : t) * ra * ca;
    const bo = (bb === 1 ? 0 : t) * rb * cb;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const x = transposeA ? a[ao + p * ca + i] : a[ao + i * ca + p];
          const y = transposeB ? b[bo + j * cb + p] : b[bo + p * cb + j];
          sum += x * y;
        }
        out.push(sum);
      }
    }
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance * scale)) {
      throw new Error(`element ${i}: ${actual[i]} where ${expected[i]} was expected`);
    }
  }
}

describe('the blas backend', () => {
  it('names the OpenBLAS it runs on', () => {
    expect(tf.getBackend()).toBe('blas');
    expect(blasInUse()?.coreName).toBeTruthy();
  });

  it('matMul: every transpose, batched, broadcast over the batch, and empty', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[6, 9], [9, 4], false, false],
      [[9, 6], [9, 4], true, false],
      [[6, 9], [4, 9], false, true],
      [[9, 6], [4, 9], true, true],
      [[3, 6, 9], [3, 9, 4], false, false],
      [[3, 9, 6], [1, 4, 9], true, true],
      [[1, 6, 9], [3, 9, 4], false, false],
    ];
    for (const [aShape, bShape, ta, tb] of cases) {
      const a = values(
        aShape.reduce((x, y) => x * y),
        1,
      );
      const b = values(
        bShape.reduce((x, y) => x * y),
        2,
      );
      const result = tf.tidy(() => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb));
      expectClose(result.dataSync(), product(a, aShape, b, bShape, ta, tb));
      result.dispose();
    }
    const empty = tf.tidy(() => tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 2])));
    expect(Array.from(empty.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(empty.shape).toEqual([3, 2]);
    empty.dispose();
  });

  it('matMul broadcasts batch dimensions as NumPy does, and refuses a rank-1 operand without leaving heap behind', () => {
    // [3, 1, 2, 4] · [1, 3, 4, 5] → [3, 3, 2, 5]: product (i, j) pairs a[i] with b[j] (wasm and cpu fill only 3 of 9).
    const a = values(3 * 2 * 4, 21);
    const b = values(3 * 4 * 5, 22);
    const result = tf.tidy(() => tf.matMul(tf.tensor(a, [3, 1, 2, 4]), tf.tensor(b, [1, 3, 4, 5])));
    expect(result.shape).toEqual([3, 3, 2, 5]);
    const expected: number[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        expected.push(
          ...product(a.subarray(i * 8, i * 8 + 8), [2, 4], b.subarray(j * 20, j * 20 + 20), [4, 5], false, false),
        );
    expectClose(result.dataSync(), expected);
    result.dispose();
    const before = tf.engine().backend.numDataIds();
    expect(() =>
      tf.tidy(() => tf.matMul(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, tf.tensor2d([1, 2, 3, 4], [2, 2]))),
    ).toThrow(/rank/);
    expect(tf.engine().backend.numDataIds()).toBe(before);
  });

  it('fused matMul: bias (a vector or a scalar) and every activation TF.js fuses, against the plain ops', () => {
    const x = tf.tensor2d(values(5 * 7, 3), [5, 7]);
    const W = tf.tensor2d(values(7 * 6, 4), [7, 6]);
    const bias = tf.tensor1d(values(6, 5));
    const scalarBias = tf.tensor1d([0.25]);
    const alpha = tf.tensor1d(values(6, 6).map((v) => Math.abs(v) / 4));
    const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
    for (const activation of activations) {
      for (const b of [bias, scalarBias, undefined]) {
        const fused = tf.fused.matMul({
          a: x,
          b: W,
          transposeB: false,
          bias: b,
          activation,
          preluActivationWeights: activation === 'prelu' ? alpha : undefined,
          leakyreluAlpha: 0.1,
        });
        const plain = tf.tidy(() => {
          const y = b === undefined ? tf.matMul(x, W) : tf.add(tf.matMul(x, W), b);
          switch (activation) {
            case 'linear':
              return y;
            case 'relu':
              return tf.relu(y);
            case 'relu6':
              return tf.relu6(y);
            case 'elu':
              return tf.elu(y);
            case 'sigmoid':
              return tf.sigmoid(y);
            case 'leakyrelu':
              return tf.leakyRelu(y, 0.1);
            case 'prelu':
              return tf.prelu(y, alpha);
          }
        });
        expectClose(fused.dataSync(), plain.dataSync(), 1e-5);
        tf.dispose([fused, plain]);
      }
    }
    tf.dispose([x, W, bias, scalarBias, alpha]);
  });

  it("dense: the hand-written gradient with transposed products equals TF.js's own", () => {
    const x = tf.tensor2d(values(8 * 12, 7), [8, 12]);
    const W = tf.tensor2d(values(12 * 5, 8), [12, 5]);
    const b = tf.tensor1d(values(5, 9));
    for (const activation of ['linear', 'relu'] as const) {
      const loss = (f: typeof dense) => (xi: tf.Tensor, Wi: tf.Tensor, bi: tf.Tensor) =>
        tf.sum(tf.square(f(xi as tf.Tensor2D, Wi as tf.Tensor2D, bi as tf.Tensor1D, { activation })));
      const ours = tf.grads(loss(dense))([x, W, b]);
      const theirs = tf.grads(
        loss((xi, Wi, bi, options) => denseReference(xi, Wi, bi, options?.activation ?? 'linear')),
      )([x, W, b]);
      ours.forEach((g, i) => expectClose(g.dataSync(), theirs[i].dataSync(), 1e-5));
      tf.dispose([...ours, ...theirs]);
    }
    tf.dispose([x, W, b]);
  });

  it('gives the same bits on one thread as on every core (OpenBLAS never splits an inner sum)', () => {
    const blas = blasInUse()!;
    const threads = blas.threads();
    const a = tf.tensor2d(values(512 * 784, 10), [512, 784]);
    const b = tf.tensor2d(values(784 * 512, 11), [784, 512]);
    const g = tf.tensor2d(values(512 * 512, 12), [512, 512]);
    const run = (): Float32Array[] =>
      [
        tf.matMul(a, b),
        tf.matMul(a, g, true, false),
        tf.matMul(g, b, false, true),
        tf.matMul(a, a, false, true),
        tf.fused.matMul({ a: g, b: g, bias: tf.ones([512]), activation: 'relu' }),
      ].map((t) => {
        const data = t.dataSync() as Float32Array;
        t.dispose();
        return data;
      });
    try {
      setCpuThreads(1);
      const one = run();
      setCpuThreads(Math.max(2, threads));
      const many = run();
      one.forEach((values, i) => expect(Buffer.from(values.buffer).equals(Buffer.from(many[i].buffer))).toBe(true));
    } finally {
      blas.setThreads(threads);
      tf.dispose([a, b, g]);
    }
  });
});

/** A rank-4 tensor of values(…, seed). */
function tensor4(shape: number[], seed: number): tf.Tensor4D {
  return tf.tensor4d(values(tf.util.sizeFromShape(shape), seed), shape as [number, number, number, number]);
}

/**
 * Every (output pixel, filter tap) of a convolution whose window lies on x, NHWC, with TF.js's padding geometry:
 * visit(pixel, tap, at) with pixel the output's flat (n, i, j), tap = p·kw + r, and at where x's pixel under the tap
 * starts (channel 0).
 */
function forEachTap(info: tf.backend_util.Conv2DInfo, visit: (pixel: number, tap: number, at: number) => void): void {
  const { inHeight: h, inWidth: w, inChannels: c, outHeight, outWidth, filterHeight: kh, filterWidth: kw } = info;
  for (let n = 0, pixel = 0; n < info.batchSize; n++)
    for (let i = 0; i < outHeight; i++)
      for (let j = 0; j < outWidth; j++, pixel++)
        for (let p = 0; p < kh; p++)
          for (let r = 0; r < kw; r++) {
            const y = i * info.strideHeight - info.padInfo.top + p;
            const x = j * info.strideWidth - info.padInfo.left + r;
            if (y >= 0 && y < h && x >= 0 && x < w) visit(pixel, p * kw + r, ((n * h + y) * w + x) * c);
          }
}

/** Cross-correlation in double precision: y[pixel, o] = Σ over taps and channels of x · F. */
function convReference(x: tf.Tensor4D, F: tf.Tensor4D, strides: number, pad: 'valid' | 'same' | number): number[] {
  const info = tf.backend_util.computeConv2DInfo(x.shape, F.shape, strides, 1, pad);
  const [xv, fv] = [x.dataSync(), F.dataSync()];
  const { inChannels: c, outChannels: o } = info;
  const out = new Array<number>(tf.util.sizeFromShape(info.outShape)).fill(0);
  forEachTap(info, (pixel, tap, at) => {
    for (let q = 0; q < o; q++)
      for (let ch = 0; ch < c; ch++) out[pixel * o + q] += xv[at + ch] * fv[(tap * c + ch) * o + q];
  });
  return out;
}

/** d/dF Σ y·dy, entry by entry: Σ over the output of dy times the input value that entry multiplies. */
function filterGradReference(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], strides: number): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    filterShape as [number, number, number, number],
    strides,
    1,
    'same',
  );
  const [xv, dv] = [x.dataSync(), dy.dataSync()];
  const { inChannels: c, outChannels: o } = info;
  const grad = new Array<number>(tf.util.sizeFromShape(filterShape)).fill(0);
  forEachTap(info, (pixel, tap, at) => {
    for (let ch = 0; ch < c; ch++)
      for (let q = 0; q < o; q++) grad[(tap * c + ch) * o + q] += xv[at + ch] * dv[pixel * o + q];
  });
  return grad;
}

describe('convolutions, slices and pads on the blas backend', () => {
  it('Conv2D and FusedConv2D: strides 1 and 2, valid, same and explicit padding, against a direct sum', () => {
    for (const [shape, filter, strides, pad] of [
      [[2, 7, 6, 3], [3, 3, 3, 5], 1, 'same'],
      [[2, 7, 6, 3], [3, 3, 3, 5], 2, 'same'],
      [[2, 8, 8, 4], [2, 2, 4, 6], 1, 'valid'],
      [[1, 9, 5, 40], [4, 4, 40, 3], 2, 1],
      [[3, 5, 5, 1], [5, 5, 1, 2], 1, 2],
    ] as [number[], number[], number, 'valid' | 'same' | number][]) {
      tf.tidy(() => {
        const x = tensor4(shape, 13);
        const F = tensor4(filter, 14);
        const bias = tf.tensor1d(values(filter[3], 15));
        const expected = convReference(x, F, strides, pad);
        expectClose(tf.conv2d(x, F, strides, pad).dataSync(), expected);
        const fused = tf.fused.conv2d({ x, filter: F, strides, pad, bias, activation: 'relu' }).dataSync();
        const b = bias.dataSync();
        expectClose(
          fused,
          expected.map((v, i) => Math.max(0, v + b[i % filter[3]])),
        );
      });
    }
  });

  it('Conv2DBackpropFilter (which wasm lacks) is the gradient of the convolution with respect to its filter', () => {
    // The second case has 9.3M patch values, more than one block of 8M: two blocks of rows, the second starting inside an output row.
    for (const [xShape, filterShape, strides] of [
      [[2, 6, 5, 3], [3, 2, 3, 4], 2],
      [[72, 30, 30, 16], [3, 3, 16, 4], 1],
    ] as [number[], number[], number][]) {
      tf.tidy(() => {
        const x = tensor4(xShape, 16);
        const info = tf.backend_util.computeConv2DInfo(
          x.shape,
          filterShape as [number, number, number, number],
          strides,
          1,
          'same',
        );
        const dy = tensor4(info.outShape, 18);
        const grad = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
          strides,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
        expect(grad.shape).toEqual(filterShape);
        expectClose(grad.dataSync(), filterGradReference(x, dy, filterShape, strides), 1e-3);
        // The forward convolution over the same blocks.
        const F = tensor4(filterShape, 17);
        expectClose(tf.conv2d(x, F, strides, 'same').dataSync(), convReference(x, F, strides, 'same'));
      });
    }
  });

  it('Conv2DBackpropFilter with no output pixel is zero, not whatever the heap held', () => {
    tf.tidy(() => {
      tf.fill([4096], 7.5).dataSync();
    });
    const grad = tf.grad((f: tf.Tensor) =>
      tf.sum(tf.conv2d(tf.ones([1, 2, 2, 1]) as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid')),
    )(tf.ones([3, 3, 1, 2]));
    expect(Array.from(grad.dataSync())).toEqual(new Array<number>(18).fill(0));
    grad.dispose();
  });

  it('Slice and PadV2 copy the right values, for float32 and int32, at every rank', () => {
    const naiveSlice = (data: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] => {
      const out: number[] = [];
      const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
      const walk = (axis: number, offset: number): void => {
        if (axis === shape.length) return void out.push(data[offset]);
        for (let i = 0; i < size[axis]; i++) walk(axis + 1, offset + (begin[axis] + i) * strides[axis]);
      };
      walk(0, 0);
      return out;
    };
    for (const [shape, begin, size] of [
      [[10], [3], [4]],
      [
        [5, 6],
        [1, 0],
        [3, 6],
      ],
      [
        [5, 6],
        [1, 2],
        [3, 3],
      ],
      [
        [4, 30, 30, 1],
        [0, 1, 1, 0],
        [4, 28, 28, 1],
      ],
      [
        [2, 3, 4, 5, 6],
        [1, 0, 1, 0, 2],
        [1, 3, 2, 5, 3],
      ],
      [
        [3, 4],
        [0, 0],
        [0, 4],
      ],
    ]) {
      for (const dtype of ['float32', 'int32'] as const) {
        const data = Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => i * 3 - 7);
        const x = tf.tensor(data, shape, dtype);
        const sliced = tf.slice(x, begin, size);
        expect(sliced.dtype).toBe(dtype);
        expect(Array.from(sliced.dataSync())).toEqual(naiveSlice(data, shape, begin, size));
        // Padding then slicing the padded region back out returns x; everything else is the constant.
        const paddings = shape.map((_, a) => [a % 2, (a + 1) % 3] as [number, number]);
        const padded = tf.pad(x, paddings, 9);
        const outShape = padded.shape;
        const back = naiveSlice(
          Array.from(padded.dataSync()),
          outShape,
          paddings.map(([before]) => before),
          shape,
        );
        expect(back).toEqual(data);
        const nines = Array.from(padded.dataSync()).filter((v) => v === 9).length;
        expect(nines).toBe(padded.size - x.size + data.filter((v) => v === 9).length);
        tf.dispose([x, sliced, padded]);
      }
    }
  });
});

const dataset = rectanglesDataset({ train: 600, test: 100 });

const small: ExperimentConfig = rectanglesConfig({ hiddenSizes: [64], binarization: 'dynamic' });

async function train(config: ExperimentConfig, resumeFrom: CheckpointPayload | null = null, stopAfter = Infinity) {
  const epochs: EpochResult[] = [];
  const outcome = await trainRun({
    config,
    dataset,
    resumeFrom,
    onEpoch: (r) => void epochs.push(r),
    shouldStop: () => epochs.length > 0 && epochs[epochs.length - 1].epoch >= stopAfter,
  });
  return { outcome, epochs };
}

function numbers(r: EpochResult) {
  return { epoch: r.epoch, train: r.train, test: r.test, klPerDim: r.klPerDim, images: r.images };
}

describe('training on the blas backend', () => {
  for (const architecture of ['mlp', 'conv'] as const) {
    it(`${architecture}: the same seed gives the same numbers, and a resumed run continues exactly`, async () => {
      const config: ExperimentConfig = {
        ...small,
        architecture,
        convChannels: [4, 8],
        mcSamples: 2,
        epochs: 2,
        trainSubset: architecture === 'conv' ? 200 : 500,
      };
      const whole = await train(config);
      const again = await train(config);
      expect(again.epochs.map(numbers)).toEqual(whole.epochs.map(numbers));
      const interrupted = await train(config, null, 1);
      expect(interrupted.outcome).toEqual({ status: 'stopped', epochsDone: 1 });
      const resumed = await train(config, interrupted.epochs[0].checkpoint!);
      expect(numbers(resumed.epochs[0])).toEqual(numbers(whole.epochs[1]));
      expect(resumed.epochs[0].checkpoint!.weights).toEqual(whole.epochs[1].checkpoint!.weights);
    });
  }

  it('trains as the wasm backend does, with its products on OpenBLAS: the same losses up to float rounding', async () => {
    const config: ExperimentConfig = { ...small, epochs: 1, trainSubset: 300 };
    const blas = blasInUse()!;
    const sgemm = blas.sgemm;
    let products = 0;
    blas.sgemm = (...args) => {
      products += 1;
      sgemm(...args);
    };
    const onBlas = await train(config).finally(() => (blas.sgemm = sgemm));
    // 6 batches of forward and backward passes, and the test pass.
    expect(products).toBeGreaterThan(6 * 8);
    await selectBackend('wasm');
    const onWasm = await train(config);
    await selectBackend('blas');
    const [a, b] = [onBlas.epochs[0], onWasm.epochs[0]];
    expect(Math.abs(a.train.loss - b.train.loss) / Math.abs(b.train.loss)).toBeLessThan(1e-4);
    expect(Math.abs(a.test.elbo - b.test.elbo) / Math.abs(b.test.elbo)).toBeLessThan(1e-4);
  });
});
