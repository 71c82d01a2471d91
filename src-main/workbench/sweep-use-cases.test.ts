import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api';
import { openDatabase } from '../store/db';
import { listSweeps } from '../store/sweeps';
import { EventHub } from '../api/events';
import { bindStore } from './store-binding';
import { createHandlers, workersPolicy, type RunnerControl } from './use-cases';

function handlers(override: number | null = null) {
  const db = openDatabase(':memory:');
  const runner: RunnerControl = {
    activeRunId: null,
    workers: 1,
    isTraining: () => false,
    wake: () => undefined,
    stopRun: async () => undefined,
    backendPreference: { backend: 'auto', allowSoftwareGpu: false },
    setBackendPreference: () => undefined,
  };
  const policy = { ...workersPolicy(null, override), cores: 4, max: 8, check: workersPolicy(null, null).check };
  policy.check = (n: number) => {
    if (n < 1 || n > 8) throw new ApiError('ConfigError', `workers = ${n}: allowed: an integer from 1 to 8`);
    return n;
  };
  policy.automatic = () => ({ workers: 3, reason: 'a wasm run uses one core' });
  const h = createHandlers({
    store: bindStore(db),
    runner,
    events: new EventHub(),
    info: { version: '0', dbPath: ':memory:', transport: 'http' },
    workers: policy,
  });
  return { db, h };
}

describe('sweep use cases', () => {
  it('a random search picks a seed when given none, records it with the experiment, and draws the same runs again', async () => {
    const { db, h } = handlers();
    const sweep = {
      base: { epochs: 1, dataset: 'mnist' },
      axes: {},
      ranges: { beta: { min: 0.5, max: 8, log: true } },
      samples: 5,
      earlyStop: 'median' as const,
    };
    const first = await h.queueSweep({ experimentName: 'search', sweep });
    expect(first.runIds).toHaveLength(5);
    expect(first.searchSeed).not.toBeNull();
    const [recorded] = listSweeps(db, first.experimentId);
    expect(recorded).toMatchObject({ seed: first.searchSeed, samples: 5, earlyStop: 'median' });
    const again = await h.queueSweep({ experimentName: 'again', sweep: { ...recorded.spec } });
    const betas = async (ids: number[]) =>
      Promise.all(ids.map(async (runId) => (await h.getRun({ runId })).config.beta));
    expect(await betas(again.runIds)).toEqual(await betas(first.runIds));
    expect((await h.getRun({ runId: first.runIds[0] })).earlyStop).toBe('median');
    // A grid keeps no search record.
    const grid = await h.queueSweep({ experimentName: 'grid', sweep: { base: { epochs: 1 }, axes: { beta: [1, 4] } } });
    expect(grid.searchSeed).toBeNull();
    expect(listSweeps(db, grid.experimentId)).toEqual([]);
  });

  it('gets and sets how many runs train at once, refusing a number outside 1..max with the allowed range', async () => {
    const { h } = handlers();
    expect(await h.getWorkers({})).toMatchObject({ workers: 3, setting: null, automatic: 3, max: 8, cores: 4 });
    expect(await h.setWorkers({ workers: 2 })).toMatchObject({ workers: 2, setting: 2 });
    await expect(Promise.resolve().then(() => h.setWorkers({ workers: 9 }))).rejects.toThrow(
      'workers = 9: allowed: an integer from 1 to 8',
    );
    expect(await h.setWorkers({ workers: null })).toMatchObject({ workers: 3, setting: null });
    const withOverride = handlers(2).h;
    expect(await withOverride.getWorkers({})).toMatchObject({ workers: 2, override: 2 });
  });

  it('the machine policy refuses a command-line number above twice the cores', () => {
    expect(() => workersPolicy(null, 10_000)).toThrow(/workers = 10000: allowed: an integer from 1 to \d+/);
  });
});
