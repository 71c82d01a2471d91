import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { dense, denseReference, type Activation } from './dense';
import { onWasm } from '../testing/wasm';

onWasm();

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('dense with custom gradients', () => {
  // [examples, inputs, outputs]: the second has W larger than the batch, so dL/dx takes the transposed-g form.
  const shapes = [
    [7, 5, 3],
    [2, 9, 8],
  ];
  for (const activation of ['linear', 'relu'] as Activation[])
    for (const [n, inputs, outputs] of shapes) {
      it(`matches TF.js autodiff of matMul + bias (${activation}, ${n}×${inputs} · ${inputs}×${outputs})`, () => {
        tf.tidy(() => {
          const x = tf.randomNormal([n, inputs], 0, 1, 'float32', 1) as tf.Tensor2D;
          const W = tf.randomNormal([inputs, outputs], 0, 1, 'float32', 2) as tf.Tensor2D;
          const b = tf.randomNormal([outputs], 0, 1, 'float32', 3) as tf.Tensor1D;
          // A non-uniform upstream gradient so every entry of dy matters.
          const weights = tf.randomNormal([n, outputs], 0, 1, 'float32', 4);
          type Layer = (xi: tf.Tensor2D, Wi: tf.Tensor2D, bi: tf.Tensor1D) => tf.Tensor2D;
          const objective = (f: Layer) => (xi: tf.Tensor, Wi: tf.Tensor, bi: tf.Tensor) =>
            tf.sum(tf.mul(f(xi as tf.Tensor2D, Wi as tf.Tensor2D, bi as tf.Tensor1D), weights));
          const ours = tf.grads(objective((xi, Wi, bi) => dense(xi, Wi, bi, { activation })))([x, W, b]);
          const reference = tf.grads(objective((xi, Wi, bi) => denseReference(xi, Wi, bi, activation)))([x, W, b]);
          expect(maxAbsDiff(dense(x, W, b, { activation }), denseReference(x, W, b, activation))).toBeLessThan(1e-5);
          for (let i = 0; i < 3; i++) {
            expect(ours[i].shape).toEqual(reference[i].shape);
            expect(maxAbsDiff(ours[i], reference[i])).toBeLessThan(1e-5);
          }
          // The ReLU case must actually cut some units, or it tests nothing beyond 'linear'.
          if (activation === 'relu')
            expect(tf.sum(tf.equal(denseReference(x, W, b, 'relu'), 0)).dataSync()[0]).toBeGreaterThan(0);
        });
      });
    }

  it('gives W and b the same gradients when the input needs none', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([6, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
      const W = tf.variable(
        tf.randomNormal([4, 3], 0, 1, 'float32', 6),
        true,
        'dense-test-W',
      ) as tf.Variable<tf.Rank.R2>;
      const b = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 7), true, 'dense-test-b') as tf.Variable<tf.Rank.R1>;
      const f = (inputNeedsGrad: boolean) => () =>
        tf.sum(tf.square(dense(x, W, b, { activation: 'relu', inputNeedsGrad }))) as tf.Scalar;
      const a = tf.variableGrads(f(false), [W, b]).grads;
      const r = tf.variableGrads(() => tf.sum(tf.square(denseReference(x, W, b, 'relu'))) as tf.Scalar, [W, b]).grads;
      expect(maxAbsDiff(a[W.name], r[W.name])).toBeLessThan(1e-5);
      expect(maxAbsDiff(a[b.name], r[b.name])).toBeLessThan(1e-5);
      W.dispose();
      b.dispose();
    });
  });

  it('refuses mismatched shapes, naming them', () => {
    tf.tidy(() => {
      expect(() => dense(tf.zeros([2, 5]), tf.zeros([4, 3]), tf.zeros([3]))).toThrow(/5 features but W is 4×3/);
    });
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.ones([3, 4]) as tf.Tensor2D;
      const W = tf.ones([4, 2]) as tf.Tensor2D;
      const b = tf.zeros([2]) as tf.Tensor1D;
      tf.grads((xi: tf.Tensor, Wi: tf.Tensor) => tf.sum(dense(xi as tf.Tensor2D, Wi as tf.Tensor2D, b)))([x, W]);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
