import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../training/backend';
import { LatentEngine } from './engine';
import { openLatentFixture, type LatentFixture } from '../testing/latent-fixtures';

describe('the latent views of a PCA baseline', () => {
  let fixture: LatentFixture;
  let engine: LatentEngine;
  let pca: number;

  beforeAll(async () => {
    await selectBackend('wasm');
    fixture = openLatentFixture();
    pca = fixture.addRun({ model: 'pca', latentDim: 3, autoencoder: true }, { klPerDim: () => [0, 0, 0] });
    engine = new LatentEngine({ dbPath: fixture.path, modelCacheSize: 2 });
  });

  afterAll(() => {
    engine?.close();
    fixture?.close();
  });

  it('traverses the components in their order, none marked collapsed for want of a KL it cannot have', async () => {
    const t = await engine.handle('latentTraversals', { runId: pca, steps: 3 });
    expect(t.rows.map((r) => [r.dim, r.collapsed])).toEqual([
      [0, false],
      [1, false],
      [2, false],
    ]);
    expect(t.rows.every((r) => Number.isNaN(r.kl))).toBe(true);
  });

  it('refuses to sample a prior it does not have, saying so', async () => {
    await expect(engine.handle('latentPriorSamples', { runId: pca, count: 4, seed: 1 })).rejects.toThrow(
      /PCA baseline: it has no prior p\(z\), so sampling does not apply/,
    );
  });

  it('encodes the test images and decodes codes like any run', async () => {
    const encoded = await engine.handle('latentEncodeTest', { runId: pca, count: 10 });
    expect(encoded.mu).toHaveLength(10);
    expect(encoded.mu.every((z) => z.length === 3 && z.every(Number.isFinite))).toBe(true);
    // The scatter draws the first two principal components themselves, not a PCA of the whitened codes.
    expect(encoded.projection.kind).toBe('direct');
    expect(encoded.projection.points[4]).toEqual([encoded.mu[4][0], encoded.mu[4][1]]);
    const decoded = await engine.handle('latentDecode', { runId: pca, codes: [[0, 0, 0]] });
    expect(decoded.epoch).toBe(1);
  });
});
