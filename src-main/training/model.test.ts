import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src-shared/config';
import {
  conv3x3,
  conv3x3Reference,
  conv4x4Stride2,
  conv4x4Stride2Reference,
  depthToSpace2,
  spaceToDepth2,
  upsample2,
  upsample2Conv3x3,
} from './conv';
import { selectBackend } from './backend';
import {
  buildModel,
  decode,
  disposeModel,
  encode,
  loadModel,
  modelWeights,
  paramSpecs,
  parameterCount,
  reparameterize,
  type ModelConfig,
} from './model';
import { onWasm } from '../testing/wasm';

onWasm();

const mlp: ModelConfig = { ...defaultConfig, hiddenSizes: [32, 16], latentDim: 3 };
const conv: ModelConfig = { ...defaultConfig, architecture: 'conv', convChannels: [4, 8], latentDim: 5 };

/** Runs fn in a tidy scope and checks it left no tensor behind. */
function withoutLeaks(fn: () => void): void {
  const before = tf.memory().numTensors;
  tf.tidy(fn);
  expect(tf.memory().numTensors).toBe(before);
}

describe('model shapes', () => {
  it('MLP: encoder 784-32-16 to μ and log σ², decoder mirrored back to the image size', () => {
    const model = buildModel({ config: mlp, shape: { height: 12, width: 10 }, seed: 0 });
    expect(model.params.map((p) => `${p.name} ${p.variable.shape.join('x')}`)).toEqual([
      'enc/dense0/W 120x32',
      'enc/dense0/b 32',
      'enc/dense1/W 32x16',
      'enc/dense1/b 16',
      'enc/mu/W 16x3',
      'enc/mu/b 3',
      'enc/logvar/W 16x3',
      'enc/logvar/b 3',
      'dec/dense0/W 3x16',
      'dec/dense0/b 16',
      'dec/dense1/W 16x32',
      'dec/dense1/b 32',
      'dec/out/W 32x120',
      'dec/out/b 120',
    ]);
    withoutLeaks(() => {
      const q = encode(model, tf.zeros([6, 120]));
      expect(q.mu.shape).toEqual([6, 3]);
      expect(q.logVar?.shape).toEqual([6, 3]);
      const z = reparameterize(q, tf.randomNormal([2 * 6, 3]) as tf.Tensor2D);
      expect(z.shape).toEqual([12, 3]);
      expect(decode(model, z).shape).toEqual([12, 120]);
    });
    disposeModel(model);
  });

  it('conv: two stride-2 layers 28→14→7, decoder back to 28×28 logits', () => {
    const model = buildModel({ config: conv, shape: { height: 28, width: 28 }, seed: 0 });
    expect(
      model.params.filter((p) => p.name.endsWith('/W')).map((p) => `${p.name} ${p.variable.shape.join('x')}`),
    ).toEqual([
      'enc/conv0/W 16x4',
      'enc/conv1/W 64x8',
      'enc/mu/W 392x5',
      'enc/logvar/W 392x5',
      'dec/dense/W 5x392',
      'dec/conv0/W 72x4',
      'dec/conv1/W 36x1',
    ]);
    withoutLeaks(() => {
      const q = encode(model, tf.zeros([3, 784]));
      expect(q.mu.shape).toEqual([3, 5]);
      expect(decode(model, q.mu).shape).toEqual([3, 784]);
      // Gradients flow through every conv weight on this backend (no Conv2DBackpropFilter needed).
      const { grads } = tf.variableGrads(
        () => {
          const q = encode(model, tf.ones([2, 784]));
          return tf.add(tf.sum(tf.square(decode(model, q.mu))), tf.sum(q.logVar!)) as tf.Scalar;
        },
        model.params.map((p) => p.variable),
      );
      for (const p of model.params) expect(grads[p.variable.name].shape).toEqual(p.variable.shape);
    });
    disposeModel(model);
  });

  it('conv refuses images whose size is not divisible by 2^layers, naming the size', () => {
    expect(() => paramSpecs(conv, { height: 30, width: 28 })).toThrow(/divisible by 4.*30×28/);
    expect(() => paramSpecs({ ...conv, convChannels: [4] }, { height: 30, width: 30 })).not.toThrow();
  });

  it('autoencoder: deterministic encoder without a log σ² head; z = μ', () => {
    const model = buildModel({ config: { ...mlp, autoencoder: true }, shape: { height: 4, width: 4 }, seed: 0 });
    expect(model.params.some((p) => p.name.startsWith('enc/logvar'))).toBe(false);
    tf.tidy(() => {
      const q = encode(model, tf.ones([2, 16]));
      expect(q.logVar).toBeNull();
      expect(reparameterize(q, tf.ones([2, 3]) as tf.Tensor2D)).toBe(q.mu);
    });
    disposeModel(model);
  });
});

describe('convolutions as patches × dense', () => {
  it('conv4x4Stride2 equals tf.conv2d (4×4 kernel, stride 2, padding 1) with the kernel laid out as documented', () => {
    tf.tidy(() => {
      const c = 3;
      const out = 2;
      const x = tf.randomNormal([2, 6, 8, c], 0, 1, 'float32', 1) as tf.Tensor4D;
      const kernel = tf.randomNormal([4, 4, c, out], 0, 1, 'float32', 2) as tf.Tensor4D;
      const b = tf.tensor1d([0.5, -1]);
      // Row ((p·2 + q)·4 + (r·2 + s))·C + ch holds kernel tap (2p + r, 2q + s, ch).
      const k = kernel.arraySync();
      const rows: number[][] = [];
      for (const p of [0, 1])
        for (const q of [0, 1])
          for (const r of [0, 1])
            for (const s of [0, 1]) for (let ch = 0; ch < c; ch++) rows.push(k[2 * p + r][2 * q + s][ch]);
      const ours = conv4x4Stride2(x, tf.tensor2d(rows), b, { activation: 'linear', inputNeedsGrad: true });
      const reference = tf.add(
        tf.conv2d(x, kernel, 2, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        b,
      );
      expect(ours.shape).toEqual([2, 3, 4, out]);
      expect(tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]).toBeLessThan(1e-4);
    });
  });

  it('conv3x3 equals tf.conv2d (3×3, stride 1, same padding)', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 5, 4, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
      const kernel = tf.randomNormal([3, 3, 2, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
      const ours = conv3x3(x, tf.reshape(kernel, [18, 3]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D, {
        activation: 'linear',
      });
      const reference = tf.conv2d(x, kernel, 1, 'same');
      expect(tf.max(tf.abs(tf.sub(ours, reference))).dataSync()[0]).toBeLessThan(1e-4);
    });
  });
});

describe('weights', () => {
  it('same seed → same init; another seed → different; Glorot/He ranges respected', async () => {
    const a = buildModel({ config: mlp, shape: { height: 4, width: 4 }, seed: 7 });
    const b = buildModel({ config: mlp, shape: { height: 4, width: 4 }, seed: 7 });
    const c = buildModel({ config: mlp, shape: { height: 4, width: 4 }, seed: 8 });
    const wa = await modelWeights(a);
    expect(wa).toEqual(await modelWeights(b));
    expect(wa[0].data).not.toEqual((await modelWeights(c))[0].data);
    // He uniform for the first ReLU layer: |w| ≤ √(6 / fanIn) with fanIn 16.
    expect(Math.max(...wa[0].data.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 16));
    expect(Math.max(...wa[0].data.map(Math.abs))).toBeGreaterThan(0.5 * Math.sqrt(6 / 16));
    expect(wa[1].data.every((v) => v === 0)).toBe(true);
    expect(parameterCount(a)).toBe(wa.reduce((s, w) => s + w.data.length, 0));
    [a, b, c].forEach(disposeModel);
  });

  it('loadModel rebuilds a checkpoint that encodes and decodes exactly like the original', async () => {
    const model = buildModel({ config: conv, shape: { height: 8, width: 8 }, seed: 1 });
    const copy = loadModel(conv, { height: 8, width: 8 }, await modelWeights(model));
    tf.tidy(() => {
      const x = tf.randomUniform([2, 64], 0, 1, 'float32', 5) as tf.Tensor2D;
      const a = decode(model, encode(model, x).mu);
      const b = decode(copy, encode(copy, x).mu);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    });
    disposeModel(model);
    disposeModel(copy);
  });

  it('loadModel names a missing, extra or misshapen weight', async () => {
    const model = buildModel({ config: mlp, shape: { height: 4, width: 4 }, seed: 1 });
    const weights = await modelWeights(model);
    disposeModel(model);
    expect(() => loadModel(mlp, { height: 4, width: 4 }, weights.slice(1))).toThrow(/no weight 'enc\/dense0\/W'/);
    expect(() => loadModel(mlp, { height: 5, width: 4 }, weights)).toThrow(
      /'enc\/dense0\/W' has shape \[16, 32\].*needs \[20, 32\]/,
    );
    expect(() => loadModel({ ...mlp, autoencoder: true }, { height: 4, width: 4 }, weights)).toThrow(
      /does not: enc\/logvar\/W/,
    );
  });

  it('decode refuses z of the wrong width', () => {
    const model = buildModel({ config: mlp, shape: { height: 4, width: 4 }, seed: 1 });
    tf.tidy(() => {
      expect(() => decode(model, tf.zeros([1, 4]))).toThrow(/z has 4 dimensions but the model's latentDim is 3/);
    });
    disposeModel(model);
  });
});

// The same checks on wasm (Conv2D kernels in XNNPACK) and on blas (Conv2D and its filter gradient as products on
// OpenBLAS, Slice and PadV2 copying runs).
for (const backend of ['wasm', 'blas'] as const) {
  describe(`convolutions through Conv2D kernels with hand-written gradients, on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });
    afterAll(async () => {
      await selectBackend('wasm');
    });

    // Value and gradients (for x, W and b) of the sum of y ⊙ r, r fixed, so every output position weighs differently.
    function valueAndGrads(
      f: (x: tf.Tensor4D, W: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor4D,
      x: tf.Tensor4D,
      W: tf.Tensor2D,
      b: tf.Tensor1D,
    ): number[][] {
      return tf.tidy(() => {
        const probe = (xi: tf.Tensor4D, Wi: tf.Tensor2D, bi: tf.Tensor1D): tf.Scalar => {
          const y = f(xi, Wi, bi);
          const r = tf.randomNormal(y.shape, 0, 1, 'float32', 11);
          return tf.sum(tf.mul(y, r));
        };
        const value = probe(x, W, b);
        const grads = tf.grads((xi, Wi, bi) => probe(xi as tf.Tensor4D, Wi as tf.Tensor2D, bi as tf.Tensor1D))([
          x,
          W,
          b,
        ]);
        return [value, ...grads].map((t) => Array.from(t.dataSync()));
      });
    }

    function expectClose(ours: number[][], reference: number[][]): void {
      expect(ours.map((a) => a.length)).toEqual(reference.map((a) => a.length));
      ours.forEach((a, k) => {
        const scale = Math.max(1, ...reference[k].map(Math.abs));
        a.forEach((v, i) => expect(Math.abs(v - reference[k][i])).toBeLessThan(1e-4 * scale));
      });
    }

    it('conv4x4Stride2: value and gradients equal the patches-and-dense reference', () => {
      const x = tf.randomNormal([2, 6, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const W = tf.randomNormal([48, 5], 0, 0.3, 'float32', 2) as tf.Tensor2D;
      const b = tf.tensor1d([0.1, -0.2, 0.3, 0, 0.05]);
      for (const activation of ['linear', 'relu'] as const) {
        expectClose(
          valueAndGrads((xi, Wi, bi) => conv4x4Stride2(xi, Wi, bi, { activation, inputNeedsGrad: true }), x, W, b),
          valueAndGrads((xi, Wi, bi) => conv4x4Stride2Reference(xi, Wi, bi, activation), x, W, b),
        );
      }
      tf.dispose([x, W, b]);
    });

    it('conv3x3: value and gradients equal the patches-and-dense reference', () => {
      const x = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const W = tf.randomNormal([27, 4], 0, 0.3, 'float32', 4) as tf.Tensor2D;
      const b = tf.tensor1d([0.1, -0.2, 0.3, 0]);
      for (const activation of ['linear', 'relu'] as const) {
        expectClose(
          valueAndGrads((xi, Wi, bi) => conv3x3(xi, Wi, bi, { activation }), x, W, b),
          valueAndGrads((xi, Wi, bi) => conv3x3Reference(xi, Wi, bi, activation), x, W, b),
        );
      }
      tf.dispose([x, W, b]);
    });

    it('upsample2Conv3x3 equals conv3x3 of the nearest-neighbour ×2 upsampled map, value and gradients', () => {
      const x = tf.randomNormal([2, 3, 4, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const W = tf.randomNormal([27, 2], 0, 0.3, 'float32', 6) as tf.Tensor2D;
      const b = tf.tensor1d([0.2, -0.1]);
      for (const activation of ['linear', 'relu'] as const) {
        expectClose(
          valueAndGrads((xi, Wi, bi) => upsample2Conv3x3(xi, Wi, bi, { activation }), x, W, b),
          valueAndGrads((xi, Wi, bi) => conv3x3Reference(upsample2(xi), Wi, bi, activation), x, W, b),
        );
      }
      tf.dispose([x, W, b]);
    });

    it('depthToSpace2 undoes spaceToDepth2', () => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 6, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
        expect(Array.from(depthToSpace2(spaceToDepth2(x)).dataSync())).toEqual(Array.from(x.dataSync()));
      });
    });
  });
}
