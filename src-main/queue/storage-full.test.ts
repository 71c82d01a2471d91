import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src-shared/config';
import { openDatabase } from '../store/db';
import { storageFailure } from '../store/errors';
import { getEpochMetrics } from '../store/metrics';
import { getRun, queueRuns, requeueRun } from '../store/runs';
import { forkTraining } from './fork';
import { QueueRunner } from './runner';

describe('a database that cannot be written while training', () => {
  it('stops the run interrupted at its last whole epoch, names the path, and resumes once space returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-full-'));
    const dbPath = join(dir, 'runs.db');
    const db = openDatabase(dbPath);
    try {
      const [run] = queueRuns(db, {
        experimentName: 'full disk',
        configs: [
          parseConfig({
            hiddenSizes: [64],
            latentDim: 2,
            batchSize: 100,
            epochs: 3,
            trainSubset: 500,
            testSubset: 100,
          }),
        ],
      });
      const runner = new QueueRunner({ db, dbPath, spawn: () => forkTraining() });
      // SQLite's own limit stands in for a full disk: once epoch 1 is stored the file may not grow any more.
      let limited = false;
      runner.onRunChanged((id) => {
        if (limited || getRun(db, id)?.epochsDone !== 1) return;
        limited = true;
        db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      });
      const [outcome] = await runner.runUntilEmpty();
      expect(outcome.status).toBe('interrupted');
      const stopped = getRun(db, run.id)!;
      expect(stopped.status).toBe('interrupted');
      expect(stopped.epochsDone).toBe(1);
      expect(stopped.error).toContain(`cannot write to the database ${dbPath}`);
      expect(stopped.error).toMatch(/full/);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(new Set(getEpochMetrics(db, [run.id]).map((m) => m.epoch))).toEqual(new Set([1]));

      // Space returns: the run resumes from its checkpoint and finishes.
      db.pragma('max_page_count = 1073741823');
      requeueRun(db, run.id);
      const [resumed] = await runner.runUntilEmpty();
      expect(resumed.status).toBe('finished');
      expect(getRun(db, run.id)!.epochsDone).toBe(3);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tells storage failures from other errors', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    expect(storageFailure(full, '/data/runs.db')).toMatch(/^cannot write to the database \/data\/runs\.db: the disk/);
    const readonly = Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
    expect(storageFailure(readonly, '/data/runs.db')).toContain('read-only');
    const io = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
    expect(storageFailure(io, '/data/runs.db')).toContain('I/O error');
    expect(storageFailure(new Error('epoch 3 is not epochs_done + 1'), '/data/runs.db')).toBeNull();
    expect(storageFailure(Object.assign(new Error('x'), { code: 'SQLITE_CONSTRAINT' }), '/x')).toBeNull();
  });
});
