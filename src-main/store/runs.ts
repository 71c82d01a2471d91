import {
  experimentConfigSchema,
  formatIssues,
  ConfigError,
  isBaseline,
  type ExperimentConfig,
} from '../../src-shared/config';
import { runStatuses, type BackendInfo, type RunStatus, type RunSummary } from '../../src-shared/runs';
import { formatParameter, paramLabels } from '../../src-shared/parameters';
import { differingKeys } from '../../src-shared/sweep';
import { applyRetention, resumeEpoch } from './checkpoints';
import { configColumnNames, encodeConfig } from './config-columns';
import { nowIso, writeTransaction, statement, type Database } from './db';
import { StoreError } from './errors';
import { checkExperimentName, checkName, findExperimentByName } from './experiments';
import { rewindEpochs } from './metrics';
import { addToQueue, removeFromQueue, type QueuePlace } from './queue';
import { readRun, readRunList, readRuns, requireRunState } from './run-rows';
import type { RunList } from '../../src-shared/run-list';
import type { CheckpointKeep } from '../../src-shared/config';
import type { EarlyStopRule } from '../../src-shared/runs';

export const MAX_RUN_NAME_LENGTH = 200;
export const MAX_NOTES_LENGTH = 20_000;
export const MAX_TAG_LENGTH = 64;
export const MAX_TAGS = 32;

export interface QueueRunsInput {
  experimentName: string;
  configs: ExperimentConfig[];
  /** One per config; default names describe the run, e.g. "β=4 z=2 seed=0". */
  names?: string[];
  /** The sweep's stopping rule, kept with each run. */
  earlyStop?: EarlyStopRule | null;
}

export interface RunFilter {
  status?: RunStatus[];
  experimentId?: number;
  ids?: number[];
}

/**
 * Queues runs in ONE transaction: the experiment (created, or found by name), the runs with status 'queued',
 * appended to the queue in the order given. Every config is validated first; a bad one queues nothing.
 */
export function queueRuns(db: Database, input: QueueRunsInput): RunSummary[] {
  const experimentName = checkExperimentName(input.experimentName);
  if (!Array.isArray(input.configs) || input.configs.length === 0) {
    throw new StoreError('invalid', 'configs is empty: queue at least one run');
  }
  const configs = input.configs.map((config, i) => {
    const result = experimentConfigSchema.safeParse(config);
    if (!result.success) throw new ConfigError(`configs[${i}]: ${formatIssues(result.error.issues, config)}`);
    return result.data;
  });
  if (input.names !== undefined && input.names.length !== configs.length) {
    throw new StoreError(
      'invalid',
      `names has ${input.names.length} entries for ${configs.length} configs; give one name per config or none`,
    );
  }
  const names = input.names?.map(checkRunName) ?? defaultRunNames(configs);

  return writeTransaction(db, () => {
    const now = nowIso();
    const experimentId =
      findExperimentByName(db, experimentName)?.id ??
      Number(
        statement(db, 'INSERT INTO experiments (name, created_at) VALUES (?, ?)').run(experimentName, now)
          .lastInsertRowid,
      );
    const columns = ['experiment_id', 'name', 'status', 'created_at', 'early_stop', ...configColumnNames];
    const insert = statement(
      db,
      `INSERT INTO runs (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    const ids = configs.map((config, i) => {
      const id = Number(
        insert.run(experimentId, names[i], 'queued', now, input.earlyStop ?? null, ...encodeConfig(config))
          .lastInsertRowid,
      );
      addToQueue(db, id);
      return id;
    });
    return readRuns(db, 'r.id IN (SELECT value FROM json_each(?))', [JSON.stringify(ids)]);
  });
}

/**
 * "β=4 z=2 seed=0", plus any other parameter that differs across the batch ("lr=0.0001"), so the runs of a
 * sweep are told apart by name. A plain autoencoder has no β: "AE z=2 seed=0"; a baseline says its kind: "PCA z=2 seed=0".
 */
export function defaultRunNames(configs: readonly ExperimentConfig[]): string[] {
  const shown = new Set(['beta', 'latentDim', 'seed', 'autoencoder', 'model']);
  // What a baseline's kind implies (one epoch, no KL) is in its kind's name, not repeated as a difference.
  const implied = new Set([
    'epochs',
    'checkpointEvery',
    'iwaeSamples',
    'mcSamples',
    'freeBits',
    'alpha',
    'decoderVariance',
  ]);
  const extra = differingKeys(configs).filter(
    (key) => !shown.has(key) && !(configs.some(isBaseline) && implied.has(key)),
  );
  return configs.map((config) => {
    const kind = config.model === 'pca' ? 'PCA' : config.model === 'linear-ae' ? 'linear-AE' : null;
    const parts = [
      kind ?? (config.autoencoder ? 'AE' : `β=${config.beta}`),
      `z=${config.latentDim}`,
      `seed=${config.seed}`,
    ];
    // Labels and values as the parameter table writes them (hidden=512x256), one word each so names stay tokens.
    for (const key of extra) parts.push(`${paramLabels[key].replace(/ /g, '-')}=${formatParameter(key, config[key])}`);
    return parts.join(' ');
  });
}

function checkRunName(name: string): string {
  return checkName('run', name, MAX_RUN_NAME_LENGTH);
}

export function getRun(db: Database, id: number): RunSummary | undefined {
  return readRun(db, id);
}

/** Reads only runs rows (the summary is kept current), never the epoch history. Ordered by id. */
export function listRuns(db: Database, filter: RunFilter = {}): RunSummary[] {
  const { where, params } = runFilterSql(filter);
  return readRuns(db, where, params);
}

/** The runs list as the runs table needs it (see RunListEntry), column by column: lighter than whole summaries. */
export function listRunColumns(db: Database, filter: RunFilter = {}): RunList {
  const { where, params } = runFilterSql(filter);
  return readRunList(db, where, params);
}

function runFilterSql(filter: RunFilter): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status !== undefined) {
    const bad = filter.status.find((s) => !(runStatuses as readonly string[]).includes(s));
    if (bad !== undefined)
      throw new StoreError('invalid', `status ${JSON.stringify(bad)} is not one of ${runStatuses.join(', ')}`);
    where.push('r.status IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.status));
  }
  if (filter.experimentId !== undefined) {
    where.push('r.experiment_id = ?');
    params.push(filter.experimentId);
  }
  if (filter.ids !== undefined) {
    where.push('r.id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.ids));
  }
  return { where: where.join(' AND '), params };
}

/**
 * Atomically hands the first queued run to the caller: status 'running', started_at on its first start,
 * owner_pid recorded, removed from the queue. undefined when the queue is empty or paused.
 */
export function claimNextRun(db: Database, ownerPid: number): RunSummary | undefined {
  checkPid(ownerPid);
  return writeTransaction(db, () => {
    if (statement(db, 'SELECT paused FROM queue_state WHERE id = 1').pluck().get() === 1) return undefined;
    const id = statement(db, 'SELECT run_id FROM queue ORDER BY position LIMIT 1').pluck().get() as number | undefined;
    if (id === undefined) return undefined;
    removeFromQueue(db, id);
    statement(
      db,
      `UPDATE runs SET status = 'running', owner_pid = ?, started_at = coalesce(started_at, ?), finished_at = NULL, error = NULL,
         stop_request = NULL
       WHERE id = ?`,
    ).run(ownerPid, nowIso(), id);
    return readRun(db, id)!;
  });
}

function checkPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0)
    throw new StoreError('invalid', `owner pid ${JSON.stringify(pid)} must be a positive integer`);
}

/** The backend (and WebGPU adapter) the run trains on, and why better ones were skipped ("tensorflow: not installed; …"). */
export function setRunBackend(db: Database, id: number, info: BackendInfo): RunSummary {
  return writeTransaction(db, () => {
    requireRunState(db, id);
    const note = info.skipped.length === 0 ? null : info.skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
    // A resumed run may move to another backend: the adapter columns always describe the latest start.
    const a = info.adapter ?? null;
    statement(
      db,
      `UPDATE runs SET backend = ?, backend_note = ?, adapter_vendor = ?, adapter_architecture = ?, adapter_device = ?,
        adapter_description = ?, adapter_software = ? WHERE id = ?`,
    ).run(
      info.backend,
      note,
      a?.vendor ?? null,
      a?.architecture ?? null,
      a?.device ?? null,
      a?.description ?? null,
      a === null ? null : a.software ? 1 : 0,
      id,
    );
    return readRun(db, id)!;
  });
}

function requireRunning(db: Database, id: number, action: string): void {
  const run = requireRunState(db, id);
  if (run.status !== 'running')
    throw new StoreError('conflict', `run ${id} is ${run.status}, not running: cannot ${action}`);
}

/** A run that trained all its epochs. Applies the checkpoint policy strictly (no extra resume checkpoint). */
export function markRunFinished(db: Database, id: number): RunSummary {
  return writeTransaction(db, () => {
    requireRunning(db, id, 'mark it finished');
    const run = readRun(db, id)!;
    statement(
      db,
      "UPDATE runs SET status = 'finished', finished_at = ?, owner_pid = NULL, error = NULL WHERE id = ?",
    ).run(nowIso(), id);
    applyRetention(db, id, run.config.checkpointKeep, true);
    return readRun(db, id)!;
  });
}

export function markRunFailed(db: Database, id: number, message: string): RunSummary {
  return writeTransaction(db, () => {
    requireRunning(db, id, 'mark it failed');
    statement(db, "UPDATE runs SET status = 'failed', finished_at = ?, owner_pid = NULL, error = ? WHERE id = ?").run(
      nowIso(),
      String(message),
      id,
    );
    return readRun(db, id)!;
  });
}

/**
 * The runner stopped a running run: paused (resumable by requeue), cancelled, interrupted (process lost), or
 * stopped-early (its sweep's stopping rule; resumable too).
 */
export function markRunStopped(
  db: Database,
  id: number,
  status: 'paused' | 'cancelled' | 'interrupted' | 'stopped-early',
  reason?: string,
): RunSummary {
  if (status !== 'paused' && status !== 'cancelled' && status !== 'interrupted' && status !== 'stopped-early') {
    throw new StoreError(
      'invalid',
      `stop status ${JSON.stringify(status)} is not one of paused, cancelled, interrupted, stopped-early`,
    );
  }
  return writeTransaction(db, () => {
    requireRunning(db, id, `mark it ${status}`);
    statement(db, 'UPDATE runs SET status = ?, finished_at = ?, owner_pid = NULL, error = ? WHERE id = ?').run(
      status,
      status === 'cancelled' ? nowIso() : null,
      reason ?? null,
      id,
    );
    return readRun(db, id)!;
  });
}

/**
 * Start-up recovery after a crash or kill -9: every 'running' run whose owner process is gone becomes
 * 'interrupted' (requeue resumes it from its last checkpoint). Returns their ids.
 */
export function recoverOrphanedRuns(db: Database, isAlive: (pid: number) => boolean): number[] {
  return writeTransaction(db, () => {
    const running = statement(db, "SELECT id, owner_pid FROM runs WHERE status = 'running' ORDER BY id").all() as {
      id: number;
      owner_pid: number | null;
    }[];
    const orphaned = running.filter((run) => run.owner_pid === null || !isAlive(run.owner_pid));
    // The runner itself died (kill -9, reboot): not the run's fault, so no retry is counted and it always goes back.
    const update = statement(db, "UPDATE runs SET status = 'interrupted', owner_pid = NULL, error = ? WHERE id = ?");
    for (const run of orphaned) {
      update.run(
        `interrupted: its process${run.owner_pid === null ? '' : ` (pid ${run.owner_pid})`} ended while it was running`,
        run.id,
      );
    }
    return orphaned.map((run) => run.id);
  });
}

/** How many times the queue puts a run back by itself after its training process died. */
export const RETRY_LIMIT = 3;

/** How a death is compared with the last one: the same message once a pid is left out. */
function failureWay(message: string): string {
  return message.replace(/\s*\(pid \d+\)/g, '').trim();
}

/**
 * A running run whose own training process died unexpectedly (crash, kill -9 of that process). It becomes
 * `interrupted`, for the queue to put back by itself, unless it died the same way as last time or once more than the
 * retry limit: then it is `failed`, with both errors in its error text. (A run whose runner died is recovered by
 * recoverOrphanedRuns instead: that is not the run's fault and counts nothing.)
 */
export function recordInterruption(
  db: Database,
  id: number,
  message: string,
  options: { retryLimit?: number } = {},
): RunSummary {
  const limit = options.retryLimit ?? RETRY_LIMIT;
  return writeTransaction(db, () => {
    requireRunning(db, id, 'mark it interrupted');
    const row = statement(db, 'SELECT retries, last_failure FROM runs WHERE id = ?').get(id) as {
      retries: number;
      last_failure: string | null;
    };
    const deaths = row.retries + 1;
    const previous = row.last_failure;
    let failed: string | null = null;
    if (previous !== null && failureWay(previous) === failureWay(message)) {
      failed = `failed twice the same way: first ${previous}; then ${message}`;
    } else if (deaths > limit) {
      failed = `its training process died ${deaths} times, more than the retry limit of ${limit}: last ${message}${previous ? `; before that ${previous}` : ''}`;
    }
    if (failed !== null) {
      statement(
        db,
        "UPDATE runs SET status = 'failed', finished_at = ?, owner_pid = NULL, error = ?, retries = ?, last_failure = ? WHERE id = ?",
      ).run(nowIso(), failed, deaths, message, id);
    } else {
      statement(
        db,
        "UPDATE runs SET status = 'interrupted', owner_pid = NULL, error = ?, retries = ?, last_failure = ? WHERE id = ?",
      ).run(message, deaths, message, id);
    }
    return readRun(db, id)!;
  });
}

/**
 * Recovery without typing: every interrupted run goes back to the FRONT of the queue (oldest first), to continue from
 * its last checkpoint. Paused, cancelled, failed and stopped-early runs stay as they are. Returns the requeued ids.
 */
export function requeueInterruptedRuns(db: Database): number[] {
  return writeTransaction(db, () => {
    const ids = statement(db, "SELECT id FROM runs WHERE status = 'interrupted' ORDER BY id DESC")
      .pluck()
      .all() as number[];
    for (const id of ids) requeueRun(db, id, 'front', 'recovery');
    return ids.reverse();
  });
}

/** A pause or cancel asked of a run that another process trains; its runner polls this between batches. */
export function requestStop(db: Database, id: number, as: 'paused' | 'cancelled'): RunSummary {
  return writeTransaction(db, () => {
    requireRunning(db, id, as === 'paused' ? 'pause it' : 'cancel it while it trains');
    statement(db, 'UPDATE runs SET stop_request = ? WHERE id = ?').run(as, id);
    return readRun(db, id)!;
  });
}

/** The stop requests among the given running runs, by run id. */
export function readStopRequests(db: Database, ids: readonly number[]): Map<number, 'paused' | 'cancelled'> {
  const rows = statement(
    db,
    "SELECT id, stop_request FROM runs WHERE id IN (SELECT value FROM json_each(?)) AND stop_request IS NOT NULL AND status = 'running'",
  ).all(JSON.stringify(ids)) as { id: number; stop_request: 'paused' | 'cancelled' }[];
  return new Map(rows.map((r) => [r.id, r.stop_request]));
}

/** The statuses a run may be queued again from (resumed): the one statement of this rule. */
const requeueable: readonly RunStatus[] = ['paused', 'interrupted', 'failed', 'cancelled', 'stopped-early'];

/**
 * Puts a stopped run back in the queue, at its front (resume: it trains next) or its end. Its epochs are kept up
 * to the checkpoint a resume starts from (loadCheckpoint without an epoch); epochs after it are dropped, since
 * training repeats them.
 */
export function requeueRun(
  db: Database,
  id: number,
  at: QueuePlace = 'end',
  by: 'researcher' | 'recovery' = 'researcher',
): RunSummary {
  return writeTransaction(db, () => {
    const run = requireRunState(db, id);
    if (!requeueable.includes(run.status)) {
      throw new StoreError(
        'conflict',
        `run ${id} is ${run.status}: only ${requeueable.join(', ')} runs can be queued again`,
      );
    }
    const from = resumeEpoch(db, id);
    if (from < run.epochsDone) rewindEpochs(db, id, from);
    statement(
      db,
      "UPDATE runs SET status = 'queued', finished_at = NULL, owner_pid = NULL, error = NULL WHERE id = ?",
    ).run(id);
    // A researcher's resume is a fresh start for the retry rules; the queue's own requeue keeps the count.
    if (by === 'researcher') statement(db, 'UPDATE runs SET retries = 0, last_failure = NULL WHERE id = ?').run(id);
    addToQueue(db, id, at);
    return readRun(db, id)!;
  });
}

const cancellable: readonly RunStatus[] = ['queued', 'paused', 'interrupted', 'stopped-early'];

/** Cancels a run that is not training. A running run is stopped by the queue runner (markRunStopped). */
export function cancelRun(db: Database, id: number): RunSummary {
  return writeTransaction(db, () => {
    const run = requireRunState(db, id);
    if (!cancellable.includes(run.status)) {
      const hint = run.status === 'running' ? ' (a running run is stopped through the queue runner)' : '';
      throw new StoreError(
        'conflict',
        `run ${id} is ${run.status}: only ${cancellable.join(', ')} runs can be cancelled${hint}`,
      );
    }
    removeFromQueue(db, id);
    statement(db, "UPDATE runs SET status = 'cancelled', finished_at = ?, owner_pid = NULL WHERE id = ?").run(
      nowIso(),
      id,
    );
    // A cancelled run is not resumed by default, but requeue stays possible: keep its resume checkpoint.
    applyRetention(db, id, run.checkpointKeep as CheckpointKeep, false);
    return readRun(db, id)!;
  });
}

export function setRunNotes(db: Database, id: number, notes: string): RunSummary {
  if (typeof notes !== 'string' || notes.length > MAX_NOTES_LENGTH) {
    throw new StoreError('invalid', `notes must be text of at most ${MAX_NOTES_LENGTH} characters`);
  }
  return writeTransaction(db, () => {
    requireRunState(db, id);
    statement(db, 'UPDATE runs SET notes = ? WHERE id = ?').run(notes, id);
    return readRun(db, id)!;
  });
}

/** Replaces the run's tags. Tags are trimmed and deduplicated; they come back sorted. */
export function setRunTags(db: Database, id: number, tags: string[]): RunSummary {
  if (!Array.isArray(tags))
    throw new StoreError('invalid', `tags must be a list of strings, got ${JSON.stringify(tags)}`);
  const clean = [...new Set(tags.map((tag) => (typeof tag === 'string' ? tag.trim() : '')))];
  const bad = clean.find((tag) => tag.length === 0 || tag.length > MAX_TAG_LENGTH);
  if (bad !== undefined)
    throw new StoreError('invalid', `tag ${JSON.stringify(bad)} is not allowed: use 1–${MAX_TAG_LENGTH} characters`);
  if (clean.length > MAX_TAGS)
    throw new StoreError('invalid', `${clean.length} tags given; a run has at most ${MAX_TAGS}`);
  return writeTransaction(db, () => {
    requireRunState(db, id);
    statement(db, 'DELETE FROM run_tags WHERE run_id = ?').run(id);
    const insert = statement(db, 'INSERT INTO run_tags (run_id, tag) VALUES (?, ?)');
    for (const tag of clean) insert.run(id, tag);
    return readRun(db, id)!;
  });
}

/** The backend of the run that started most recently and reported one; null before any. */
export function latestRunBackend(db: Database): string | null {
  return (
    (statement(db, 'SELECT backend FROM runs WHERE backend IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1')
      .pluck()
      .get() as string | undefined) ?? null
  );
}

/**
 * The run that started most recently among those that reported a backend (the first by id on a tie); one indexed
 * read rather than listing every run.
 */
export function latestRunWithBackend(db: Database): RunSummary | undefined {
  return readRuns(
    db,
    "r.id = (SELECT id FROM runs WHERE backend IS NOT NULL ORDER BY coalesce(started_at, '') DESC, id LIMIT 1)",
    [],
  )[0];
}
