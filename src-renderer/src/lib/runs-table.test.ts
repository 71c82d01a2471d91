import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src-shared/config';
import type { RunSummary } from '../../../src-shared/runs';
import {
  aggregateText,
  buildAggregateRows,
  buildRows,
  columns,
  compareBy,
  matches,
  searchText,
  tableColumns,
} from './runs-table';

function run(
  id: number,
  over: { beta?: number; latentDim?: number; elbo?: number | null; experimentId?: number } = {},
): RunSummary {
  const elbo = over.elbo === undefined ? -100 - id : over.elbo;
  const test = elbo === null ? null : { recon: -elbo - 5, kl: 5, betaKl: 5, elbo, loss: -elbo };
  return {
    id,
    experimentId: over.experimentId ?? 1,
    experimentName: `exp ${over.experimentId ?? 1}`,
    name: `run ${id}`,
    status: 'finished',
    config: { ...defaultConfig, beta: over.beta ?? 1, latentDim: over.latentDim ?? 20 },
    backend: 'wasm',
    adapter: null,
    backendNote: null,
    error: null,
    epochsDone: 10,
    createdAt: '2026-11-21T10:00:00Z',
    startedAt: null,
    finishedAt: null,
    durationSec: 60,
    queuePosition: null,
    notes: '',
    tags: [],
    last: { train: test, test },
    best: { testElbo: elbo, testElboEpoch: 10, testRecon: null, testKl: null },
    activeUnits: 3,
    earlyStop: null,
    retries: 0,
  };
}

const column = (id: string) => columns.find((c) => c.id === id)!;

describe('runs table', () => {
  it('sorts numbers numerically in both directions and keeps runs without a value last', () => {
    const runs = [run(1, { elbo: -90 }), run(2, { elbo: null }), run(3, { elbo: -120 }), run(4, { elbo: Number.NaN })];
    expect([...runs].sort(compareBy(column('testElbo'), -1)).map((r) => r.id)).toEqual([1, 3, 2, 4]);
    expect([...runs].sort(compareBy(column('testElbo'), 1)).map((r) => r.id)).toEqual([3, 1, 2, 4]);
  });

  it('filters with every term; key=value terms match whole values only', () => {
    const two = searchText(run(1, { latentDim: 2, beta: 4 }));
    const twenty = searchText(run(2, { latentDim: 20, beta: 4 }));
    expect(matches(two, 'latent=2 β=4')).toBe(true);
    expect(matches(twenty, 'latent=2')).toBe(false);
    expect(matches(twenty, 'latent=20 finished')).toBe(true);
    expect(matches(two, 'latent=2 failed')).toBe(false);
  });

  it('groups runs under their experiment, newest experiment first, and hides collapsed groups', () => {
    const runs = [run(1, { experimentId: 1 }), run(2, { experimentId: 2 }), run(3, { experimentId: 1 })];
    const rows = buildRows(runs, true, new Set([2]));
    expect(
      rows.map((r) => (r.kind === 'group' ? `g${r.experimentId}:${r.count}` : r.kind === 'run' ? r.run.id : r.id)),
    ).toEqual(['g2:1', 'g1:2', 1, 3]);
    expect(buildRows(runs, false, new Set())).toHaveLength(3);
  });

  it('shows losses with a real minus sign and one decimal', () => {
    expect(column('testElbo').text(run(1, { elbo: -86.84 }))).toBe('−86.8');
    expect(column('testElbo').text(run(1, { elbo: null }))).toBe('—');
  });

  it('groups runs over seeds with mean ± sample std and n in every metric column', () => {
    const seeded = (id: number, beta: number, seed: number, elbo: number): RunSummary => {
      const r = run(id, { beta, elbo });
      return { ...r, config: { ...r.config, seed } };
    };
    const runs = [seeded(1, 1, 0, -100), seeded(2, 4, 0, -120), seeded(3, 1, 1, -102), seeded(4, 4, 1, -121)];
    const rows = buildAggregateRows(runs, ['beta'], new Set(['[4]']));
    expect(rows.map((r) => (r.kind === 'aggregate' ? r.label : r.kind === 'run' ? r.run.id : '?'))).toEqual([
      'β = 1',
      1,
      3,
      'β = 4',
    ]);
    const group = rows[0].kind === 'aggregate' ? rows[0].runs : [];
    // −100 and −102: mean −101, sample std |−100 − (−102)| / √2 = 1.414…
    expect(aggregateText(column('testElbo'), group)).toBe('−101.0 ± 1.4');
    expect(aggregateText(column('id'), group)).toBe('n = 2');
    expect(aggregateText(column('beta'), group)).toBe('1');
    expect(aggregateText(column('seed'), group)).toBe('…');
    const nll = tableColumns((id) => (id === 1 ? 90 : id === 3 ? 92 : null)).find((c) => c.id === 'nll')!;
    expect(aggregateText(nll, group)).toBe('91.00 ± 1.41');
    expect(nll.text(runs[1])).toBe('—');
  });
});
