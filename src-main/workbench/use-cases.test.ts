import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeEach } from 'vitest';
import type { Database } from 'better-sqlite3';
import { ApiError, type WorkbenchInfo } from '../../src-shared/api';
import type { BackendPreference } from '../../src-shared/backends';
import { openDatabase } from '../store/db';
import { createDispatcher, type Dispatch } from '../api/dispatcher';
import { EventHub } from '../api/events';
import { createLatentHandlers } from '../latent/handlers';
import { LatentService } from '../latent/service';
import { addSyntheticRuns } from '../testing/synthetic-runs';
import { createNllHandlers, NllJobs } from './nll';
import { createReportHandlers } from './report';
import { createImportHandlers } from './import-dataset';
import { bindStore } from './store-binding';
import { createHandlers, type RunnerControl } from './use-cases';

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('API handlers over the store', () => {
  let db: Database;
  let dispatch: Dispatch;
  let events: EventHub;
  let wakes: number;
  const stops: { runId: number; as: string }[] = [];

  beforeEach(() => {
    db = openDatabase(':memory:');
    events = new EventHub();
    wakes = 0;
    stops.length = 0;
    let preference: BackendPreference = { backend: 'auto', allowSoftwareGpu: false };
    const runner: RunnerControl = {
      activeRunId: null,
      workers: 1,
      isTraining: () => false,
      wake: () => void wakes++,
      stopRun: async (runId, as) => void stops.push({ runId, as }),
      get backendPreference() {
        return preference;
      },
      setBackendPreference: (p) => void (preference = p),
    };
    const latentService = new LatentService({
      dbPath: ':memory:',
      spawn: () => {
        throw new Error('no latent process in these tests');
      },
    });
    const latent = createLatentHandlers(latentService);
    dispatch = createDispatcher({
      ...createHandlers({
        store: bindStore(db),
        runner,
        events,
        info: { version: '0.0.0', dbPath: ':memory:', transport: 'http' },
      }),
      ...latent,
      ...createReportHandlers({ db, latent: latentService, version: '0.0.0' }),
      ...createNllHandlers(
        new NllJobs({
          db,
          dbPath: ':memory:',
          spawn: () => {
            throw new Error('no latent process in these tests');
          },
          emit: () => {},
        }),
        db,
      ),
      ...createImportHandlers({ db, events }),
    });
  });

  it('refuses names outside the contract', async () => {
    const error = await failure(dispatch('__proto__', {}));
    expect(error.name).toBe('UnknownMethod');
    expect(error.message).toContain('queueSweep');
  });

  it('reads and sets the backend the next runs ask for, refusing one that is not a backend', async () => {
    expect(((await dispatch('getInfo', {})) as WorkbenchInfo).backendPreference).toEqual({
      backend: 'auto',
      allowSoftwareGpu: false,
      source: 'default',
    });
    expect(await dispatch('setBackendPreference', { backend: 'webgpu', allowSoftwareGpu: true })).toEqual({
      backend: 'webgpu',
      allowSoftwareGpu: true,
      source: 'default',
    });
    expect(((await dispatch('getInfo', {})) as WorkbenchInfo).backendPreference.backend).toBe('webgpu');
    const bad = await failure(dispatch('setBackendPreference', { backend: 'cuda', allowSoftwareGpu: false }));
    expect(bad.name).toBe('ValidationError');
    expect(bad.message).toMatch(/cuda|auto/);
  });

  it('refuses a report of nothing, of a run that does not exist, or of an unknown experiment', async () => {
    const empty = await failure(dispatch('exportReport', { runIds: [] }));
    expect(empty.name).toBe('ValidationError');
    expect(empty.message).toMatch(/selection is empty/);
    const missing = await failure(dispatch('exportReport', { runIds: [404] }));
    expect(missing.name).toBe('NotFound');
    expect(missing.message).toMatch(/no run 404/);
    const experiment = await failure(dispatch('exportReport', { experimentId: 9 }));
    expect(experiment.name).toBe('NotFound');
  });

  it('queues a sweep in one go, wakes the runner and announces the queue', async () => {
    const seen: number[][] = [];
    events.on('onQueueChanged', (q) => seen.push(q.runIds));
    const queued = (await dispatch('queueSweep', {
      experimentName: 'β',
      sweep: { base: { epochs: 1 }, axes: { beta: [0, 1, 4], seed: [0, 1] } },
    })) as {
      runIds: number[];
    };
    expect(queued.runIds).toHaveLength(6);
    expect(wakes).toBe(1);
    expect(seen).toEqual([queued.runIds]);
  });

  it('a bad value anywhere in the sweep queues nothing and names the value', async () => {
    const error = await failure(
      dispatch('queueSweep', { experimentName: 'bad', sweep: { base: {}, axes: { latentDim: [2, 0] } } }),
    );
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain('latentDim = 0');
    expect(await dispatch('listRuns', {})).toMatchObject({ count: 0 });
  });

  it('refuses a dataset that does not exist, listing the available ones', async () => {
    const error = await failure(
      dispatch('queueSweep', { experimentName: 'x', sweep: { base: { dataset: 'cifar' }, axes: {} } }),
    );
    expect(error.message).toMatch(/dataset = "cifar": no such dataset; available: .*mnist/);
  });

  it('validates inputs: a tag with a space, a negative run id, a sweep axis that is not a parameter', async () => {
    const [id] = addSyntheticRuns(db, { runs: 1, epochs: 2 });
    const tag = await failure(dispatch('setRunTags', { runId: id, tags: ['two words'] }));
    expect(tag.name).toBe('ValidationError');
    expect(tag.message).toContain('tags.0 = "two words"');
    const runId = await failure(dispatch('getRun', { runId: -3 }));
    expect(runId.message).toContain('runId = -3');
    const axis = await failure(
      dispatch('queueSweep', { experimentName: 'x', sweep: { base: {}, axes: { temperature: [1] } } }),
    );
    expect(axis.message).toContain('temperature: not a parameter');
  });

  it('pauses only the run in training; resumes only a stopped run; moves only queued runs', async () => {
    const [finished] = addSyntheticRuns(db, { runs: 1, epochs: 1 });
    expect((await failure(dispatch('pauseRun', { runId: finished }))).message).toContain(
      `run ${finished} is finished, not training`,
    );
    expect((await failure(dispatch('resumeRun', { runId: finished }))).name).toBe('StateError');
    expect((await failure(dispatch('moveRun', { runId: finished, toIndex: 0 }))).message).toContain(
      'only queued runs can be moved',
    );
    expect((await failure(dispatch('getRun', { runId: 999 }))).name).toBe('NotFound');
  });

  it('reorders and cancels queued runs, and keeps notes and tags', async () => {
    const { runIds } = (await dispatch('queueSweep', {
      experimentName: 'q',
      sweep: { base: {}, axes: { seed: [0, 1, 2] } },
    })) as { runIds: number[] };
    const moved = (await dispatch('moveRun', { runId: runIds[2], toIndex: 0 })) as { runIds: number[] };
    expect(moved.runIds).toEqual([runIds[2], runIds[0], runIds[1]]);
    expect((await failure(dispatch('moveRun', { runId: runIds[0], toIndex: 3 }))).message).toContain('toIndex = 3');
    const cancelled = (await dispatch('cancelRun', { runId: runIds[0] })) as { status: string };
    expect(cancelled.status).toBe('cancelled');
    expect(((await dispatch('getQueue', {})) as { runIds: number[] }).runIds).toEqual([runIds[2], runIds[1]]);
    const noted = (await dispatch('setRunNotes', { runId: runIds[1], notes: 'why β = 4 collapses' })) as {
      notes: string;
    };
    expect(noted.notes).toBe('why β = 4 collapses');
    const tagged = (await dispatch('setRunTags', { runId: runIds[1], tags: ['b', 'a', 'b'] })) as { tags: string[] };
    expect([...tagged.tags].sort()).toEqual(['a', 'b']);
  });

  it('resumes a stopped run at the front of the queue, so it trains next', async () => {
    const { runIds } = (await dispatch('queueSweep', {
      experimentName: 'r',
      sweep: { base: {}, axes: { seed: [0, 1, 2] } },
    })) as { runIds: number[] };
    await dispatch('cancelRun', { runId: runIds[2] });
    const resumed = (await dispatch('resumeRun', { runId: runIds[2] })) as { status: string; queuePosition: number };
    expect(resumed).toMatchObject({ status: 'queued', queuePosition: 0 });
    expect(((await dispatch('getQueue', {})) as { runIds: number[] }).runIds).toEqual([
      runIds[2],
      runIds[0],
      runIds[1],
    ]);
    const refused = await failure(dispatch('resumeRun', { runId: runIds[0] }));
    expect(refused.name).toBe('StateError');
    expect(refused.message).toBe(
      `run ${runIds[0]} is queued: only paused, interrupted, failed, cancelled, stopped-early runs can be queued again`,
    );
  });

  it('returns a run’s metrics, latent stats and images as plain data', async () => {
    const [id] = addSyntheticRuns(db, { runs: 1, epochs: 3 });
    expect(await dispatch('getEpochMetrics', { runIds: [id] })).toHaveLength(6);
    expect(await dispatch('getLatentStats', { runId: id })).toHaveLength(3);
    const images = (await dispatch('getEpochImages', { runId: id, epoch: 3 })) as {
      inputs: Uint8Array[];
      width: number;
    };
    expect(images.inputs).toHaveLength(8);
    expect(images.inputs[0]).toHaveLength(images.width * images.width);
    expect(await dispatch('getEpochImages', { runId: id, epoch: 4 })).toBeNull();
  });
});

describe('saveReport (desktop: one folder, written from main)', () => {
  const latent = new LatentService({
    dbPath: ':memory:',
    spawn: () => {
      throw new Error('no latent process in these tests');
    },
  });

  it('writes the three files into the folder chosen once, and says where', async () => {
    const db = openDatabase(':memory:');
    const ids = addSyntheticRuns(db, { runs: 2, epochs: 2 });
    const folder = mkdtempSync(join(tmpdir(), 'vaew-save-report-'));
    const asked: string[] = [];
    const handlers = createReportHandlers({
      db,
      latent,
      version: '0.0.0',
      chooseFolder: async (title) => (asked.push(title), folder),
    });
    const saved = await handlers.saveReport({ runIds: ids });
    expect(asked).toHaveLength(1);
    expect(saved).toEqual({
      saved: true,
      folder,
      files: ['report.html', 'report.pdf', 'metrics.csv'].map((f) => join(folder, f)),
      runCount: 2,
    });
    expect(readdirSync(folder).sort()).toEqual(['metrics.csv', 'report.html', 'report.pdf']);
    rmSync(folder, { recursive: true, force: true });
  });

  it('writes nothing when the researcher cancels, and says so; browser mode has no folder dialog', async () => {
    const db = openDatabase(':memory:');
    const ids = addSyntheticRuns(db, { runs: 1, epochs: 1 });
    const handlers = createReportHandlers({ db, latent, version: '0.0.0', chooseFolder: async () => null });
    expect(await handlers.saveReport({ runIds: ids })).toEqual({
      saved: false,
      reason: 'cancelled: no folder was chosen, nothing was written',
    });
    const browser = createReportHandlers({ db, latent, version: '0.0.0' });
    await expect(browser.saveReport({ runIds: ids })).rejects.toMatchObject({ name: 'StateError' });
  });
});
