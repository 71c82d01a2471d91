import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendPreference } from '../../src-shared/backends';
import type { NllProgress } from '../../src-shared/runs';
import { spawnInProcess } from '../latent/in-process';
import { listNllEstimates } from '../store/nll';
import { openLatentFixture, type LatentFixture } from '../testing/latent-fixtures';
import { estimateTestNll, NllJobs } from './nll';

let fixture: LatentFixture;
let runId: number;

beforeAll(() => {
  fixture = openLatentFixture();
  runId = fixture.addRun({ latentDim: 2 }, { epochs: 2 });
});

afterAll(() => fixture?.close());

function jobs(events: NllProgress[]): NllJobs {
  return new NllJobs({
    db: fixture.db,
    dbPath: fixture.path,
    spawn: spawnInProcess({ backend: 'wasm' }),
    emit: (p) => events.push(p),
  });
}

const settled = (events: NllProgress[]): Promise<NllProgress> =>
  new Promise((resolve) => {
    const timer = setInterval(() => {
      const last = events.at(-1);
      if (last && ['finished', 'failed', 'cancelled'].includes(last.state)) {
        clearInterval(timer);
        resolve(last);
      }
    }, 10);
  });

describe('NLL estimates started from the window', () => {
  it('start their process on the backend the latent views follow', async () => {
    const asked: (BackendPreference | undefined)[] = [];
    const inProcess = spawnInProcess({ backend: 'wasm' });
    const events: NllProgress[] = [];
    let preference: BackendPreference | undefined = { backend: 'cpu', allowSoftwareGpu: true };
    const nll = new NllJobs({
      db: fixture.db,
      dbPath: fixture.path,
      spawn: (dbPath, backend) => {
        asked.push(backend);
        return inProcess(dbPath);
      },
      backend: () => preference,
      emit: (p) => events.push(p),
    });
    nll.start({ runId, k: 2, examples: 4 });
    await settled(events);
    preference = { backend: 'wasm', allowSoftwareGpu: false };
    events.length = 0;
    nll.start({ runId, k: 2, examples: 4 });
    await settled(events);
    expect(asked).toEqual([
      { backend: 'cpu', allowSoftwareGpu: true },
      { backend: 'wasm', allowSoftwareGpu: false },
    ]);
    nll.close();
  });

  it('runs in a latent process of its own, reports progress, and stores what the CLI computes', async () => {
    const events: NllProgress[] = [];
    const nll = jobs(events);
    const started = nll.start({ runId, k: 4, examples: 20 });
    expect(started.state).toBe('starting');
    expect(nll.list()).toHaveLength(1);
    expect(() => nll.start({ runId, k: 4, examples: 20 })).toThrow(/already has an NLL estimate in progress/);
    const last = await settled(events);
    expect(last).toMatchObject({ state: 'finished', runId, epoch: 2, k: 4, done: 20, total: 20, error: null });
    const running = events.filter((e) => e.state === 'running' && e.total > 0);
    expect(running.length).toBeGreaterThan(0);
    expect(running.map((e) => e.done)).toEqual([...running.map((e) => e.done)].sort((a, b) => a - b));
    // From the first batch on, an ETA: non-negative, and 0 once every example is done.
    const withEta = running.filter((e) => e.done > 0);
    expect(withEta.every((e) => e.etaSec !== null && e.etaSec >= 0)).toBe(true);
    expect(withEta.at(-1)?.etaSec).toBe(0);
    expect(nll.list()).toEqual([]);
    const stored = listNllEstimates(fixture.db, runId).find((e) => e.k === 4 && e.epoch === 2);
    expect(stored?.nll).toBe(last.nll);
    // The CLI's path (TF.js in this process) gives the same seeded estimate.
    const cli = await estimateTestNll(fixture.db, fixture.path, runId, { k: 4, examples: 20 });
    expect(cli.nll).toBeCloseTo(last.nll!, 4);
    expect(cli.nll).toBeGreaterThan(0);
  });

  it('cancels: the process is ended and nothing is stored', async () => {
    const events: NllProgress[] = [];
    const nll = jobs(events);
    const before = listNllEstimates(fixture.db, runId).length;
    nll.start({ runId, epoch: 1, k: 3, examples: 10 });
    expect(nll.cancel(runId)?.state).toBe('cancelled');
    expect(nll.cancel(runId)).toBeNull();
    await new Promise((r) => setTimeout(r, 200));
    expect(events.at(-1)?.state).toBe('cancelled');
    expect(listNllEstimates(fixture.db, runId)).toHaveLength(before);
  });

  it('names what is wrong with a run that cannot be estimated', async () => {
    const events: NllProgress[] = [];
    const nll = jobs(events);
    expect(() => nll.start({ runId: 999, k: 4, examples: null })).toThrow(/999/);
    nll.start({ runId, epoch: 7, k: 4, examples: null });
    expect(await settled(events)).toMatchObject({
      state: 'failed',
      error: `run ${runId} has no checkpoint at epoch 7`,
    });
    expect(nll.list()).toEqual([]);
  });
});
