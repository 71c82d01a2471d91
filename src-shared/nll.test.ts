import { describe, expect, it } from 'vitest';
import { collapseWarning, latestTestNll, type NllEstimate } from './nll';

describe('posterior-collapse warning', () => {
  it('warns below half the latent dimensions active, or under 0.1 nats of KL, and names the figures', () => {
    expect(collapseWarning({ latentDim: 20, activeUnits: 10, totalKl: 25 })).toBeNull();
    expect(collapseWarning({ latentDim: 20, activeUnits: 9, totalKl: 25 })).toBe(
      'posterior collapse: 9 of 20 latent dimensions active',
    );
    expect(collapseWarning({ latentDim: 2, activeUnits: 2, totalKl: 0.05 })).toBe(
      'posterior collapse: total KL 0.050 nats < 0.1',
    );
    expect(collapseWarning({ latentDim: 4, activeUnits: 0, totalKl: 0.01 })).toMatch(/0 of 4 .*; total KL 0.010/);
    // Nothing measured yet is no evidence of collapse.
    expect(collapseWarning({ latentDim: 4, activeUnits: null, totalKl: null })).toBeNull();
  });
});

describe('the NLL a table shows', () => {
  const e = (over: Partial<NllEstimate>): NllEstimate => ({
    runId: 1,
    epoch: 1,
    split: 'test',
    k: 100,
    count: 10,
    nll: 90,
    createdAt: '2026-12-02T10:00:00.000Z',
    ...over,
  });
  it('is the newest test estimate of that run', () => {
    const list = [
      e({ nll: 91 }),
      e({ nll: 89, createdAt: '2026-12-02T11:00:00.000Z' }),
      e({ nll: 1, split: 'train', createdAt: '2026-12-02T12:00:00.000Z' }),
      e({ runId: 2, nll: 5, createdAt: '2026-12-02T13:00:00.000Z' }),
    ];
    expect(latestTestNll(list, 1)?.nll).toBe(89);
    expect(latestTestNll(list, 3)).toBeNull();
  });
});
