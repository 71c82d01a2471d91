import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './db';
import { getEpochMetrics, recordEpoch } from './metrics';
import { claimNextRun, getRun, queueRuns, recoverOrphanedRuns } from './runs';
import { epochResult, openTempStore, smallConfig, type TempStore } from '../testing/store-fixtures';

const writerScript = fileURLToPath(new URL('../testing/fixtures/crash-writer.mjs', import.meta.url));

let store: TempStore;
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  store?.close();
});

/** A run with `epochs` recorded through the store, claimed by `ownerPid`. */
function runWithEpochs(db: Database, epochs: number): number {
  const [run] = queueRuns(db, { experimentName: 'crash', configs: [smallConfig({ latentDim: 4, epochs: 10_000 })] });
  claimNextRun(db, process.pid);
  for (let epoch = 1; epoch <= epochs; epoch++) recordEpoch(db, run.id, epochResult(epoch, 4));
  return run.id;
}

function startWriter(path: string, runId: number, mode: 'hold' | 'loop'): ChildProcess {
  return fork(writerScript, [path, String(runId), mode], {
    execPath: process.execPath,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function killed(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/** Every table agrees with the run's summary: each recorded epoch is whole, none is partial. */
function expectConsistent(db: Database, runId: number): number {
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  const epochsDone = getRun(db, runId)!.epochsDone;
  const count = (table: string): number =>
    db.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(runId) as number;
  const maxEpoch = (table: string): number =>
    db.prepare(`SELECT coalesce(max(epoch), 0) FROM ${table} WHERE run_id = ?`).pluck().get(runId) as number;
  expect(count('epoch_metrics')).toBe(2 * epochsDone);
  expect(count('epochs')).toBe(epochsDone);
  expect(count('latent_stats')).toBe(4 * epochsDone);
  expect(count('epoch_images')).toBe(epochsDone);
  for (const table of ['epoch_metrics', 'epochs', 'latent_stats', 'epoch_images', 'checkpoints'])
    expect(maxEpoch(table)).toBe(epochsDone);
  return epochsDone;
}

describe('a writer killed with SIGKILL', () => {
  it('mid-transaction leaves the database as it was before the epoch', async () => {
    store = openTempStore();
    const runId = runWithEpochs(store.db, 3);
    store.db.prepare('UPDATE runs SET owner_pid = NULL WHERE id = ?').run(runId);
    store.db.close();

    child = startWriter(store.path, runId, 'hold');
    const inside = await new Promise<{ epoch: number }>((resolve, reject) => {
      child!.once('message', (m) => resolve(m as { epoch: number }));
      child!.once('exit', (code) => reject(new Error(`writer exited early with code ${code}`)));
    });
    expect(inside.epoch).toBe(4);
    await killed(child);

    const db = openDatabase(store.path);
    store.db = db;
    expect(expectConsistent(db, runId)).toBe(3);
    expect(getEpochMetrics(db, [runId]).map((m) => m.epoch)).toEqual([1, 1, 2, 2, 3, 3]);
    // The database stays writable: the next epoch goes in as usual.
    expect(recordEpoch(db, runId, epochResult(4, 4)).epochsDone).toBe(4);
  });

  it('at any instant keeps every committed epoch whole, and start-up recovery marks its run interrupted', async () => {
    store = openTempStore();
    const runId = runWithEpochs(store.db, 1);
    store.db.close();
    for (let round = 0; round < 4; round++) {
      child = startWriter(store.path, runId, 'loop');
      const ownerPid = child.pid!;
      const setup = openDatabase(store.path);
      setup.prepare("UPDATE runs SET status = 'running', owner_pid = ? WHERE id = ?").run(ownerPid, runId);
      const before = getRun(setup, runId)!.epochsDone;
      setup.close();
      // Kill at a different point in each round, after a few commits (counted from the first, however slowly the
      // writer starts on a loaded machine).
      await new Promise((resolve) => child!.once('message', resolve));
      await new Promise((resolve) => setTimeout(resolve, 150 + round * 70));
      await killed(child);
      // The writer's acknowledgements, read after the kill: every commit it saw finish, none still in a pipe.
      const acks = existsSync(`${store.path}.acks`) ? readFileSync(`${store.path}.acks`, 'utf8') : '';
      const committed = Math.max(
        before,
        ...acks
          .split('\n')
          .filter((line) => /^\d+$/.test(line))
          .map(Number),
      );

      const db = openDatabase(store.path);
      const done = expectConsistent(db, runId);
      console.log(`round ${round}: killed after ${committed} acknowledged commits; ${done} epochs on reopening`);
      // Each acknowledged commit survived; at most the one in flight is missing.
      expect(done).toBeGreaterThanOrEqual(committed);
      expect(done).toBeLessThanOrEqual(committed + 1);
      const alive = (pid: number): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      expect(recoverOrphanedRuns(db, alive)).toEqual([runId]);
      expect(getRun(db, runId)?.status).toBe('interrupted');
      db.close();
    }
    store.db = openDatabase(store.path);
    expect(getRun(store.db, runId)!.epochsDone).toBeGreaterThan(4);
  });
});
