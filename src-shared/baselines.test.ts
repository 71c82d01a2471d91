import { describe, expect, it } from 'vitest';
import { baselineNote, deterministicKind, epochLine, hasElbo, modelKindName } from './baselines';
import { defaultConfig, parseConfig } from './config';
import { describeDifference, notApplying, readParameter, shownParameter } from './parameters';
import { layoutRateDistortion } from './rate-distortion';
import { differingKeys, expandSweep } from './sweep';

describe('model kinds', () => {
  it('is vae for a config that does not say, so every stored run keeps its meaning', () => {
    expect(parseConfig({}).model).toBe('vae');
    expect(readParameter('model', 'svm')).toEqual({
      ok: false,
      message: expect.stringContaining('allowed: one of vae, pca, linear-ae'),
    });
  });

  it('writes what a baseline implies into its config: one closed-form epoch for PCA, a deterministic code for both', () => {
    const pca = parseConfig({ model: 'pca', epochs: 30, iwaeSamples: 5, alpha: 2, decoderVariance: 'learned-shared' });
    expect(pca).toMatchObject({ epochs: 1, iwaeSamples: 1, autoencoder: true, alpha: 1, decoderVariance: 'fixed' });
    const linear = parseConfig({ model: 'linear-ae', epochs: 30, mcSamples: 4, freeBits: 0.5 });
    expect(linear).toMatchObject({ epochs: 30, mcSamples: 1, freeBits: 0, autoencoder: true });
    // Sweeps too: --model pca --latent 2,5 queues two one-epoch fits.
    const runs = expandSweep({ base: { model: 'pca', epochs: 10 }, axes: { latentDim: [2, 5] } });
    expect(runs.map((c) => [c.latentDim, c.epochs])).toEqual([
      [2, 1],
      [5, 1],
    ]);
  });

  it('names the parameters a kind ignores, with the value given', () => {
    const pca = parseConfig({ model: 'pca' });
    expect(notApplying(pca, { iwaeSamples: '5', hiddenSizes: '256', latentDim: '4', beta: '0, 4' })).toEqual([
      { key: 'iwaeSamples', message: '--iwae-k 5 does not apply to model = pca: ignored' },
      { key: 'hiddenSizes', message: '--hidden 256 does not apply to model = pca: ignored' },
      { key: 'beta', message: '--beta 0, 4 does not apply to model = pca: ignored' },
    ]);
    const conv = parseConfig({ architecture: 'conv' });
    expect(notApplying(conv, { hiddenSizes: '256' })[0].message).toBe(
      '--hidden 256 does not apply to the rest of the config: ignored',
    );
  });

  it('tells runs apart only by what applies to them', () => {
    const vae1 = parseConfig({ beta: 1 });
    const vae4 = parseConfig({ beta: 4 });
    const pca = parseConfig({ model: 'pca' });
    const keys = differingKeys([vae1, vae4, pca]);
    // autoencoder and epochs differ only through what PCA implies; β differs among the VAEs.
    expect(keys).toEqual(['model', 'beta']);
    expect(describeDifference(pca, keys)).toBe('model = pca');
    expect(describeDifference(vae4, keys)).toBe('model = vae, β = 4');
    expect(shownParameter('beta', pca)).toBe('—');
    expect(shownParameter('beta', vae4)).toBe('4');
  });

  it('has an ELBO only for a VAE, and says what a baseline’s numbers mean', () => {
    expect(hasElbo(defaultConfig)).toBe(true);
    expect(hasElbo({ model: 'pca' })).toBe(false);
    expect(modelKindName({ model: 'linear-ae' })).toBe('linear AE');
    expect(deterministicKind({ model: 'pca' })).toBe('a PCA baseline');
    expect(baselineNote({ model: 'vae', likelihood: 'bernoulli' })).toBeNull();
    expect(baselineNote({ model: 'pca', likelihood: 'bernoulli' })).toContain('no KL term, so no ELBO');
    const test = { recon: 84.5, kl: 0, betaKl: 0, elbo: -84.5, loss: 84.5, sqError: 9.78 };
    const f = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(2) : '—');
    expect(epochLine({ model: 'pca', likelihood: 'bernoulli' }, test, f)).toBe(
      'test recon 84.50 nats, squared error 9.78 per image (PCA: no KL, no ELBO)',
    );
    expect(epochLine(defaultConfig, { ...test, kl: 5, elbo: -89.5, iwae: -88 }, f)).toBe(
      'test recon 84.50 KL 5.00 ELBO -89.50 IWAE bound -88.00 nats',
    );
  });
});

describe('baselines on the rate–distortion plane', () => {
  it('draw a horizontal line at their distortion, inside the plot, on the same scale as the points', () => {
    const point = (id: string, rate: number, distortion: number) => ({
      id,
      label: id,
      color: '#000',
      rate,
      distortion,
      n: 1,
      trajectory: [],
    });
    const layout = layoutRateDistortion({
      points: [point('a', 2, 100), point('b', 8, 90)],
      references: [{ id: 'pca', label: 'PCA', color: '#c00', distortion: 120 }],
      width: 400,
      height: 300,
    });
    const [line] = layout.references;
    expect(line.y).toBeGreaterThan(layout.plot.top);
    expect(line.y).toBeLessThan(layout.plot.bottom);
    // Linear in D: the line sits where D = 120 extrapolates from the two points' pixels.
    const [a, b] = layout.points;
    const pxPerNat = (a.y - b.y) / (100 - 90);
    expect(line.y).toBeCloseTo(a.y + pxPerNat * 20, 6);
  });
});
