import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latentMethodNames } from '../../src-shared/latent';
import { selectBackend } from '../training/backend';
import { LatentEngine } from './engine';
import { FIXTURE_SIZE, FIXTURE_TEST_COUNT, openLatentFixture, type LatentFixture } from '../testing/latent-fixtures';

const pixels = FIXTURE_SIZE * FIXTURE_SIZE;

function differs(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('LatentEngine', () => {
  let fixture: LatentFixture;
  let engine: LatentEngine;
  let run2d: number;
  let run3d: number;
  let runOfTwoEpochs: number;

  beforeAll(async () => {
    await selectBackend('wasm');
    fixture = openLatentFixture();
    run2d = fixture.addRun({ latentDim: 2 });
    run3d = fixture.addRun({ latentDim: 3, binarization: 'static' }, { klPerDim: () => [0.001, 2.5, 0.4] });
    runOfTwoEpochs = fixture.addRun({ latentDim: 4 }, { epochs: 2 });
    engine = new LatentEngine({ dbPath: fixture.path, modelCacheSize: 2 });
  });

  afterAll(() => {
    engine?.close();
    fixture?.close();
  });

  it('implements every latent method of the API contract under its name', () => {
    const missing = latentMethodNames.filter((name) => typeof engine[name] !== 'function');
    expect(missing).toEqual([]);
  });

  it('decodes two different codes to different pixels, 0–255, one image per code', async () => {
    const result = await engine.handle('latentDecode', {
      runId: run2d,
      codes: [
        [0, 0],
        [2.5, -2.5],
      ],
    });
    expect(result).toMatchObject({ runId: run2d, epoch: 1, width: FIXTURE_SIZE, height: FIXTURE_SIZE });
    expect(result.images).toHaveLength(2);
    expect(result.images[0]).toBeInstanceOf(Uint8Array);
    expect(result.images[0]).toHaveLength(pixels);
    expect(differs(result.images[0], result.images[1])).toBeGreaterThan(pixels / 4);
    // The same code decodes to the same image.
    const again = await engine.handle('latentDecode', { runId: run2d, codes: [[0, 0]] });
    expect(differs(again.images[0], result.images[0])).toBe(0);
  });

  it("draws a 2-D run's manifold as n×n tiles in one image, varying along both dimensions", async () => {
    const n = 5;
    const m = await engine.handle('latentManifold', { runId: run2d, n, dims: [0, 1], spacing: 'linear', r: 3 });
    expect(m.grid.width).toBe(n * FIXTURE_SIZE);
    expect(m.grid.height).toBe(n * FIXTURE_SIZE);
    expect(m.grid.pixels).toHaveLength(n * n * pixels);
    expect(m.xValues).toEqual([-3, -1.5, 0, 1.5, 3]);
    expect(m.yValues).toEqual([3, 1.5, 0, -1.5, -3]);
    const tile = (row: number, col: number): Uint8Array => {
      const out = new Uint8Array(pixels);
      for (let y = 0; y < FIXTURE_SIZE; y++) {
        out.set(
          m.grid.pixels.subarray(
            (row * FIXTURE_SIZE + y) * m.grid.width + col * FIXTURE_SIZE,
            (row * FIXTURE_SIZE + y) * m.grid.width + (col + 1) * FIXTURE_SIZE,
          ),
          y * FIXTURE_SIZE,
        );
      }
      return out;
    };
    expect(differs(tile(0, 0), tile(0, n - 1))).toBeGreaterThan(0);
    expect(differs(tile(0, 0), tile(n - 1, 0))).toBeGreaterThan(0);
    // The top-left tile is z = (−3, 3): the same pixels as decoding that code alone.
    const single = await engine.handle('latentDecode', { runId: run2d, codes: [[-3, 3]] });
    expect(differs(tile(0, 0), single.images[0])).toBe(0);
  });

  it("orders traversal rows by the checkpoint epoch's KL and marks collapsed dimensions", async () => {
    const t = await engine.handle('latentTraversals', { runId: run3d, steps: 5 });
    expect(t.rows.map((r) => r.dim)).toEqual([1, 2, 0]);
    expect(t.rows.map((r) => r.collapsed)).toEqual([false, false, true]);
    expect(t.rows[0].kl).toBeCloseTo(2.5);
    expect(t.values).toEqual([-3, -1.5, 0, 1.5, 3]);
    for (const row of t.rows) expect(row.images).toHaveLength(5);
    // Sweeping a dimension changes the image.
    expect(differs(t.rows[0].images[0], t.rows[0].images[4])).toBeGreaterThan(0);
  });

  it('encodes test points with labels and projects a 3-D latent space through PCA', async () => {
    const e = await engine.handle('latentEncodeTest', { runId: run3d, count: 30, offset: 5 });
    expect(e.indices).toHaveLength(30);
    expect(e.indices[0]).toBe(5);
    expect(e.labels[0]).toBe(5 % 4);
    expect(e.mu[0]).toHaveLength(3);
    expect(e.projection.kind).toBe('pca');
    expect(e.projection.points).toHaveLength(30);
    expect(e.projection.explained[0]).toBeGreaterThanOrEqual(e.projection.explained[1]);
    expect(e.projection.explained[0] + e.projection.explained[1]).toBeLessThanOrEqual(1 + 1e-9);
    const direct = await engine.handle('latentEncodeTest', { runId: run2d, count: 100 });
    // Clipped to the test split's size; a 2-D latent space is drawn as is.
    expect(direct.indices).toHaveLength(FIXTURE_TEST_COUNT);
    expect(direct.projection.kind).toBe('direct');
    expect(direct.projection.points[7]).toEqual([direct.mu[7][0], direct.mu[7][1]]);
  });

  it('returns test images by index and interpolates between two encoded ones', async () => {
    const images = await engine.handle('latentTestImages', { runId: run2d, indices: [3, 0] });
    expect(images.labels).toEqual([3, 0]);
    expect(images.images[0][3 * FIXTURE_SIZE]).toBe(250);
    const path = await engine.handle('latentInterpolate', { runId: run2d, from: 0, to: 3, steps: 4 });
    expect(path.images).toHaveLength(4);
    expect(path.codes).toHaveLength(4);
    expect(differs(path.endpoints[1], images.images[0])).toBe(0);
    const encoded = await engine.handle('latentEncodeTest', { runId: run2d, count: 4 });
    path.codes[0].forEach((v, j) => expect(v).toBeCloseTo(encoded.mu[0][j], 5));
    path.codes[3].forEach((v, j) => expect(v).toBeCloseTo(encoded.mu[3][j], 5));
  });

  it('draws prior samples from the seed: same seed, same codes', async () => {
    const a = await engine.handle('latentPriorSamples', { runId: run2d, count: 6, seed: 7 });
    const b = await engine.handle('latentPriorSamples', { runId: run2d, count: 6, seed: 7 });
    const c = await engine.handle('latentPriorSamples', { runId: run2d, count: 6, seed: 8 });
    expect(a.codes).toEqual(b.codes);
    expect(a.codes).not.toEqual(c.codes);
    expect(a.images).toHaveLength(6);
  });

  it('loads a stored checkpoint by epoch and keeps only a few models loaded', async () => {
    const one = await engine.handle('latentDecode', { runId: runOfTwoEpochs, epoch: 1, codes: [[1, 1, 1, 1]] });
    const two = await engine.handle('latentDecode', { runId: runOfTwoEpochs, codes: [[1, 1, 1, 1]] });
    expect(one.epoch).toBe(1);
    expect(two.epoch).toBe(2);
    expect(differs(one.images[0], two.images[0])).toBeGreaterThan(0);
    expect(engine.loadedModels()).toEqual([`${runOfTwoEpochs}@1`, `${runOfTwoEpochs}@2`]);
  });

  it('refuses bad requests with errors naming the value', async () => {
    const fails = async (method: Parameters<LatentEngine['handle']>[0], input: unknown): Promise<Error> => {
      try {
        await engine.handle(method, input);
      } catch (error) {
        return error as Error;
      }
      throw new Error(`${method} ${JSON.stringify(input)} did not fail`);
    };
    expect(await fails('latentDecode', { runId: 999, codes: [[0, 0]] })).toMatchObject({
      name: 'NotFound',
      message: expect.stringMatching(/runId = 999: no such run/),
    });
    expect(await fails('latentDecode', { runId: run2d, epoch: 7, codes: [[0, 0]] })).toMatchObject({
      name: 'NotFound',
      message: expect.stringMatching(/no checkpoint at epoch 7; stored checkpoints: 1/),
    });
    expect(await fails('latentDecode', { runId: run2d, codes: [[0, 0, 0]] })).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/codes\[0\] has 3 values but run \d+ has latentDim 2/),
    });
    expect(await fails('latentManifold', { runId: run2d, n: 31, dims: [0, 1] })).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/n = 31/),
    });
    expect(await fails('latentManifold', { runId: run2d, n: 4, dims: [0, 2] })).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/dims = \[0, 2\]; allowed: two different dimensions from 0 to 1/),
    });
    expect(await fails('latentManifold', { runId: run3d, n: 4, dims: [0, 1], base: [1, 2] })).toMatchObject({
      message: expect.stringMatching(/base has 2 values but run \d+ has latentDim 3/),
    });
    expect(await fails('latentInterpolate', { runId: run2d, from: 0, to: 40 })).toMatchObject({
      message: expect.stringMatching(/to = 40 but the test split of latent-fixture has 40 images \(0–39\)/),
    });
    expect(await fails('latentEncodeTest', { runId: run2d, count: 10_001 })).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/count = 10001/),
    });
    expect(await fails('latentEncodeTest', { runId: run2d, count: 5, offset: 40 })).toMatchObject({
      message: expect.stringMatching(/offset = 40/),
    });
    expect(await fails('nonsense' as 'latentDecode', {})).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/"nonsense" is not a latent request/),
    });
  });

  it('leaks no tensors across many requests', async () => {
    await engine.handle('latentDecode', { runId: run2d, codes: [[0, 0]] });
    await engine.handle('latentTestImages', { runId: run2d, indices: [0] });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) {
      await engine.handle('latentDecode', { runId: run2d, codes: [[i / 10, -i / 10]] });
      await engine.handle('latentManifold', { runId: run2d, n: 3, dims: [1, 0] });
      await engine.handle('latentEncodeTest', { runId: run2d, count: 10 });
      await engine.handle('latentInterpolate', { runId: run2d, from: 1, to: 2, steps: 3 });
      await engine.handle('latentTraversals', { runId: run2d, steps: 3 });
      await engine.handle('latentPriorSamples', { runId: run2d, count: 2, seed: i });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
