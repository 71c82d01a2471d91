import { describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from './contract';
import { defaultConfig } from './config';
import { entriesFromRunList, runListFromEntries, type RunListEntry } from './run-list';

function entry(id: number, over: Partial<RunListEntry> = {}): RunListEntry {
  const elbo = -100 - id;
  return {
    id,
    experimentId: 1 + (id % 2),
    experimentName: `sweep ${1 + (id % 2)}`,
    name: `β=${id % 4} z=2 seed=${id}`,
    status: 'finished',
    config: { ...defaultConfig, beta: id % 4, seed: id },
    backend: 'wasm',
    adapter: null,
    backendNote: 'tensorflow: @tensorflow/tfjs-node is not installed',
    error: null,
    finishedAt: `2026-12-02T10:00:${String(id % 60).padStart(2, '0')}Z`,
    epochsDone: 10,
    durationSec: 60 + id,
    queuePosition: null,
    notes: '',
    tags: [],
    activeUnits: 3,
    last: { test: { recon: -elbo - 5, kl: 5, betaKl: 5, elbo, loss: -elbo } },
    best: { testElbo: elbo + 1 },
    ...over,
  };
}

describe('the runs list, column by column', () => {
  it('gives back every entry as it was, across the JSON that browser mode sends', () => {
    const entries = [
      entry(1),
      entry(2, { status: 'queued', epochsDone: 0, last: { test: null }, best: { testElbo: null }, queuePosition: 0 }),
      // A diverged run: its NaN stays NaN, not null.
      entry(3, { status: 'failed', error: 'epoch 2: the loss is NaN', activeUnits: null, tags: ['diverged', 'lr'] }),
      entry(4, {
        last: { test: { recon: NaN, kl: Infinity, betaKl: NaN, elbo: NaN, loss: NaN } },
        adapter: { vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: '', software: true },
      }),
    ];
    const list = runListFromEntries(entries);
    expect(list.count).toBe(4);
    expect(entriesFromRunList(decodeJson(encodeJson(list)) as typeof list)).toEqual(entries);
    expect(entriesFromRunList(runListFromEntries([]))).toEqual([]);
  });

  it('sends a value every run shares once, and a column of few distinct strings as a dictionary', () => {
    const entries = Array.from({ length: 100 }, (_, i) => entry(i + 1));
    const list = runListFromEntries(entries);
    expect(list.config.dataset).toEqual({ all: 'mnist' });
    expect(list.config.hiddenSizes).toEqual({ all: defaultConfig.hiddenSizes });
    expect(list.columns.backendNote).toEqual({ all: 'tensorflow: @tensorflow/tfjs-node is not installed' });
    expect(list.columns.id).toHaveLength(100);
    // Layer sizes that differ in one run are sent run by run.
    const wider = runListFromEntries(
      entries.map((e) => (e.id === 50 ? { ...e, config: { ...e.config, hiddenSizes: [512, 256] } } : e)),
    );
    expect(Array.isArray(wider.config.hiddenSizes)).toBe(true);
    expect(entriesFromRunList(wider)[49].config.hiddenSizes).toEqual([512, 256]);
    expect(list.experiments).toEqual([
      { id: 2, name: 'sweep 2' },
      { id: 1, name: 'sweep 1' },
    ]);
    const statuses = runListFromEntries(entries.map((e) => ({ ...e, status: e.id % 3 === 0 ? 'failed' : 'finished' })))
      .columns.status;
    expect(statuses).toMatchObject({ values: ['finished', 'failed'] });
    expect((statuses as { index: number[] }).index.slice(0, 4)).toEqual([0, 0, 1, 0]);
    // A tenth of the size of the entries themselves.
    expect(encodeJson(list).length * 10).toBeLessThan(encodeJson(entries).length);
  });
});
