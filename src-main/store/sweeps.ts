import type { SweepSpec } from '../../src-shared/sweep';
import type { EarlyStopRule } from '../../src-shared/runs';
import { nowIso, statement, writeTransaction, type Database } from './db';
import { readMetric } from './run-rows';

export interface SweepRecord {
  id: number;
  experimentId: number;
  spec: SweepSpec;
  samples: number;
  seed: number;
  earlyStop: EarlyStopRule | null;
  createdAt: string;
}

/** Keeps a random search's spec and seed with its experiment, so the same runs can be drawn again. */
export function recordSweep(
  db: Database,
  experimentId: number,
  spec: SweepSpec,
  samples: number,
  seed: number,
): number {
  return writeTransaction(db, () =>
    Number(
      statement(
        db,
        'INSERT INTO sweeps (experiment_id, spec, samples, seed, early_stop, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(experimentId, JSON.stringify(spec), samples, seed, spec.earlyStop ?? null, nowIso()).lastInsertRowid,
    ),
  );
}

export function listSweeps(db: Database, experimentId: number): SweepRecord[] {
  const rows = statement(db, 'SELECT * FROM sweeps WHERE experiment_id = ? ORDER BY id').all(experimentId) as {
    id: number;
    experiment_id: number;
    spec: string;
    samples: number;
    seed: number;
    early_stop: EarlyStopRule | null;
    created_at: string;
  }[];
  return rows.map((r) => ({
    id: r.id,
    experimentId: r.experiment_id,
    spec: JSON.parse(r.spec) as SweepSpec,
    samples: r.samples,
    seed: r.seed,
    earlyStop: r.early_stop,
    createdAt: r.created_at,
  }));
}

/**
 * What median stopping compares at one epoch: the run's test ELBO there (NaN if it diverged; undefined if the epoch is
 * not stored) and the test ELBO at that epoch of every FINISHED run of the same experiment that trained that far.
 */
export function testElboAgainstPeers(
  db: Database,
  runId: number,
  epoch: number,
): { elbo: number | undefined; peers: number[] } {
  const own = statement(db, "SELECT elbo FROM epoch_metrics WHERE run_id = ? AND epoch = ? AND split = 'test'").get(
    runId,
    epoch,
  ) as { elbo: number | null } | undefined;
  const peers = statement(
    db,
    `SELECT m.elbo FROM epoch_metrics m JOIN runs r ON r.id = m.run_id
     WHERE r.experiment_id = (SELECT experiment_id FROM runs WHERE id = ?) AND r.id <> ? AND r.status = 'finished'
       AND m.epoch = ? AND m.split = 'test'`,
  )
    .pluck()
    .all(runId, runId, epoch) as (number | null)[];
  return { elbo: own === undefined ? undefined : readMetric(own.elbo), peers: peers.map(readMetric) };
}
