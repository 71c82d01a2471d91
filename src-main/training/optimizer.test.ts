import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Param } from './model';
import { Adam } from './optimizer';
import { onWasm } from '../testing/wasm';

onWasm();

let counter = 0;
function params(values: number[][]): Param[] {
  return values.map((v, i) => ({
    name: `p${i}`,
    variable: tf.variable(tf.tensor1d(v), true, `adam-test-${++counter}`),
  }));
}

/** A quadratic with a different curvature per coordinate: Σ c_i (w_i − t_i)². */
function loss(ps: Param[]): tf.Scalar {
  return tf.addN(
    ps.map((p, i) =>
      tf.sum(tf.mul(tf.square(tf.sub(p.variable, i + 0.5)), tf.tensor1d([1, 10, 0.1].slice(0, p.variable.size)))),
    ),
  ) as tf.Scalar;
}

describe('Adam', () => {
  it('follows TF.js’s Adam step for step (same β1, β2, ε)', async () => {
    const ours = params([
      [1, -2, 3],
      [0.5, 0.25],
    ]);
    const theirs = params([
      [1, -2, 3],
      [0.5, 0.25],
    ]);
    const adam = await Adam.create(ours, { learningRate: 0.05 });
    const reference = tf.train.adam(0.05, 0.9, 0.999, 1e-8);
    for (let step = 0; step < 25; step++) {
      const ourGrads = tf.variableGrads(() => loss(ours)).grads;
      await adam.apply(ourGrads);
      tf.dispose(ourGrads);
      tf.tidy(() => {
        const grads = tf.variableGrads(() => loss(theirs)).grads;
        reference.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      });
    }
    ours.forEach((p, i) => {
      const a = Array.from(p.variable.dataSync());
      const b = Array.from(theirs[i].variable.dataSync());
      // Float32 rounding differs between a JavaScript pass and TF.js kernels: agreement to ~1e-5 after 25 steps.
      a.forEach((v, j) => expect(v).toBeCloseTo(b[j], 4));
    });
    // And it did move towards the minimum.
    expect(Math.abs(ours[0].variable.dataSync()[0] - 0.5)).toBeLessThan(0.5);
    reference.dispose();
    [...ours, ...theirs].forEach((p) => p.variable.dispose());
  });

  it('restored from its state, continues bit-identically', async () => {
    const run = async (split: boolean): Promise<number[]> => {
      const ps = params([[1, -2, 3]]);
      let adam = await Adam.create(ps, { learningRate: 0.1 });
      for (let step = 0; step < 10; step++) {
        if (split && step === 4) {
          const state = adam.state();
          adam = await Adam.create(ps, { learningRate: 0.1 });
          adam.restore(state);
          expect(adam.step).toBe(4);
        }
        const grads = tf.variableGrads(() => loss(ps)).grads;
        await adam.apply(grads);
        tf.dispose(grads);
      }
      const out = Array.from(ps[0].variable.dataSync());
      ps[0].variable.dispose();
      return out;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('names what is missing from a state it cannot restore', async () => {
    const ps = params([[1, 2]]);
    const adam = await Adam.create(ps, { learningRate: 0.1 });
    const state = adam.state();
    expect(() => adam.restore(state.filter((a) => a.name !== 'adam/step'))).toThrow(/adam\/step/);
    expect(() => adam.restore(state.filter((a) => a.name !== 'p0/v'))).toThrow(/no 'p0\/v'/);
    await expect(Adam.create(ps, { learningRate: 0 })).rejects.toThrow(/learning rate 0/);
    ps[0].variable.dispose();
  });
});
