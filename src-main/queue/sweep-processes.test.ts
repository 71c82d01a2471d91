import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type ExperimentConfig } from '../../src-shared/config';
import { getEpochMetrics } from '../store/metrics';
import { getRun, queueRuns } from '../store/runs';
import { tempDatabases } from '../testing/store-fixtures';
import { forkTraining } from './fork';
import { QueueRunner } from './runner';

/** Real `vae-workbench` processes training real (tiny) runs on one SQLite file. */
const cli = resolve(__dirname, '../../out/main/cli.js');

const small = (over: Partial<ExperimentConfig> = {}): ExperimentConfig =>
  parseConfig({ hiddenSizes: [64], latentDim: 2, batchSize: 50, trainSubset: 1000, testSubset: 200, ...over });

const apps: ChildProcess[] = [];
const tempDb = tempDatabases('vae-sweep-proc-');
afterEach(() => {
  for (const app of apps.splice(0)) if (app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
});

function startRun(
  dbPath: string,
  ...args: string[]
): { app: ChildProcess; output: () => string; exited: Promise<number> } {
  const app = spawn(process.execPath, [cli, 'run', '--db', dbPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  apps.push(app);
  let output = '';
  app.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  app.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number>((r) => app.once('exit', (code) => r(code ?? -1)));
  return { app, output: () => output, exited };
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Each epoch's wall-clock record time, from the store. */
function epochTimes(db: Database, runId: number): number[] {
  return (
    db.prepare('SELECT recorded_at FROM epochs WHERE run_id = ? ORDER BY epoch').pluck().all(runId) as string[]
  ).map((t) => Date.parse(t));
}

const trainEpochs = (db: Database, runId: number): number[] =>
  getEpochMetrics(db, [runId])
    .filter((m) => m.split === 'train')
    .map((m) => m.epoch);

describe('sweeps across real training processes', () => {
  it('run --workers 2 trains two runs at once: their training intervals overlap', async () => {
    const { db, dbPath } = tempDb();
    const [a, b] = queueRuns(db, {
      experimentName: 'two at once',
      configs: [small({ epochs: 3 }), small({ epochs: 3, seed: 1 })],
    });
    const run = startRun(dbPath, '--workers', '2');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/Training up to 2 runs at once/);
    const [ta, tb] = [epochTimes(db, a.id), epochTimes(db, b.id)];
    expect(ta).toHaveLength(3);
    expect(tb).toHaveLength(3);
    // Each run's first epoch was stored before the other's last: both trained during the same interval.
    expect(tb[0]).toBeLessThan(ta[2]);
    expect(ta[0]).toBeLessThan(tb[2]);
  }, 180_000);

  it('after kill -9 of `run`, the next `run` finishes its interrupted runs with no resume typed, each epoch once', async () => {
    const { db, dbPath } = tempDb();
    const configs = [small({ epochs: 5, trainSubset: 3000 }), small({ epochs: 5, trainSubset: 3000, seed: 1 })];
    const runs = queueRuns(db, { experimentName: 'killed run', configs });
    const first = startRun(dbPath, '--workers', '2');
    await waitFor(
      () => runs.every((r) => (getRun(db, r.id)?.epochsDone ?? 0) >= 1),
      120_000,
      `an epoch of both runs; output:\n${first.output()}`,
    );
    first.app.kill('SIGKILL');
    await first.exited;
    expect(runs.map((r) => getRun(db, r.id)?.status)).toEqual(['running', 'running']);
    expect(runs.every((r) => (getRun(db, r.id)?.epochsDone ?? 0) < 5)).toBe(true);

    const second = startRun(dbPath, '--workers', '2');
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(new RegExp(`Interrupted runs back in the queue.*: ${runs[0].id}, ${runs[1].id}`));
    for (const r of runs) {
      expect(getRun(db, r.id)?.status).toBe('finished');
      expect(trainEpochs(db, r.id)).toEqual([1, 2, 3, 4, 5]);
      expect(epochTimes(db, r.id)).toHaveLength(5);
    }
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  }, 300_000);

  it('`cancel RUN` stops a run that another process is training, within a batch or so', async () => {
    const { db, dbPath } = tempDb();
    const [run] = queueRuns(db, { experimentName: 'cancel elsewhere', configs: [small({ epochs: 40 })] });
    const trainer = startRun(dbPath);
    await waitFor(() => (getRun(db, run.id)?.epochsDone ?? 0) >= 1, 120_000, 'the first epoch');
    const started = Date.now();
    const cancel = spawnSync(process.execPath, [cli, 'cancel', String(run.id), '--db', dbPath], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const took = Date.now() - started;
    expect(cancel.stderr).toBe('');
    expect(cancel.stdout).toMatch(new RegExp(`run ${run.id} cancelled`));
    expect(cancel.status).toBe(0);
    // The CLI's own start-up is most of this; the stop itself lands within a poll and a batch.
    expect(took).toBeLessThan(15_000);
    const stopped = getRun(db, run.id);
    expect(stopped?.status).toBe('cancelled');
    expect(stopped?.epochsDone).toBeLessThan(40);
    expect(await trainer.exited).toBe(1);
    expect(trainer.output()).toMatch(new RegExp(`run ${run.id} cancelled`));
  }, 180_000);

  it("a slot's training process trains its next runs too, with the numbers of a process per run", async () => {
    const metricsOf = async (reuseProcesses: boolean) => {
      const { db, dbPath } = tempDb();
      const runs = queueRuns(db, {
        experimentName: 'kept processes',
        configs: [0, 1, 2].map((seed) => small({ epochs: 2, seed })),
      });
      const runner = new QueueRunner({ db, dbPath, spawn: () => forkTraining(), backend: 'wasm', reuseProcesses });
      const outcomes = await runner.runUntilEmpty();
      expect(outcomes.map((o) => o.status)).toEqual(['finished', 'finished', 'finished']);
      // The waiting process is ended with the sweep.
      expect(runner.idleProcesses).toBe(0);
      return {
        processes: runner.cpu.processesStarted,
        metrics: runs.map((r) =>
          getEpochMetrics(db, [r.id]).map(({ epoch, split, recon, kl, elbo }) => ({ epoch, split, recon, kl, elbo })),
        ),
      };
    };
    const kept = await metricsOf(true);
    const fresh = await metricsOf(false);
    expect(kept.processes).toBe(1);
    expect(fresh.processes).toBe(3);
    expect(kept.metrics.every((m) => m.length === 4)).toBe(true);
    expect(kept.metrics).toEqual(fresh.metrics);
  }, 180_000);
});
