import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { upsample2 } from './conv';
import { onWasm } from '../testing/wasm';

onWasm();

describe('upsample2', () => {
  const values = Array.from({ length: 2 * 3 * 4 * 2 }, (_, i) => Math.fround(Math.sin(i * 1.3)));
  const x = (): tf.Tensor4D => tf.tensor4d(values, [2, 3, 4, 2]);

  it('repeats each pixel into a 2×2 block, as nearest-neighbour resizing does', async () => {
    const up = upsample2(x());
    expect(up.shape).toEqual([2, 6, 8, 2]);
    const out = await up.array();
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 8; j++)
          for (let c = 0; c < 2; c++) {
            expect(out[n][i][j][c]).toBe(values[((n * 3 + Math.floor(i / 2)) * 4 + Math.floor(j / 2)) * 2 + c]);
          }
    const resized = tf.image.resizeNearestNeighbor(x(), [6, 8]);
    expect(await resized.array()).toEqual(out);
  });

  it('has the gradient of a 2×2 block sum: each input gets the sum of its four copies’ upstream gradients', async () => {
    const dy = Array.from({ length: 2 * 6 * 8 * 2 }, (_, i) => Math.cos(i * 0.7));
    const grad = tf.grad((input: tf.Tensor) =>
      tf.sum(tf.mul(upsample2(input as tf.Tensor4D), tf.tensor4d(dy, [2, 6, 8, 2]))),
    );
    const got = await grad(x()).data();
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 4; j++)
          for (let c = 0; c < 2; c++) {
            let sum = 0;
            for (const [p, q] of [
              [0, 0],
              [0, 1],
              [1, 0],
              [1, 1],
            ])
              sum += dy[((n * 6 + 2 * i + p) * 8 + 2 * j + q) * 2 + c];
            expect(got[((n * 3 + i) * 4 + j) * 2 + c]).toBeCloseTo(sum, 5);
          }
  });
});
