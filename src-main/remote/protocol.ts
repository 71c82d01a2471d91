import { deserialize, serialize } from 'node:v8';
import { z } from 'zod';
import { experimentConfigSchema, formatIssues } from '../../src-shared/config';
import { backendChoices } from '../../src-shared/backends';
import type { BackendInfo } from '../../src-shared/runs';
import type { CheckpointPayload, EpochResult } from '../records';

/**
 * What the coordinator and the workers exchange through Redis. The BullMQ job carries only small JSON (the run's
 * config and where its data is); the resume checkpoint and each epoch's results (typed arrays) travel as
 * structured-clone buffers in keys of their own, and every epoch goes into a per-run stream the coordinator drains,
 * because BullMQ's own event stream is trimmed and only good for live progress.
 */

/** The BullMQ queue every workbench worker listens on. */
export const QUEUE_NAME = 'vae-workbench-runs';

export const keys = {
  /** Durable results of one run, in order: ready, epochs, then one ending entry. */
  results: (runId: number) => `vae-workbench:run:${runId}:results`,
  /** The newest checkpoint of the run, kept by whichever worker trains it, so a redelivered job resumes there. */
  checkpoint: (runId: number) => `vae-workbench:run:${runId}:checkpoint`,
  /** Present while the coordinator asks the run to stop (pause, cancel, shutdown). */
  stop: (runId: number) => `vae-workbench:run:${runId}:stop`,
  /** Live per-batch progress (pub/sub: lost when nobody listens, which is fine for progress). */
  progress: (runId: number) => `vae-workbench:run:${runId}:progress`,
  /** An imported dataset's content (structured clone of ImageDataset), by its SHA-256. */
  dataset: (sha256: string) => `vae-workbench:dataset:${sha256}`,
  /** A worker's heartbeat: a hash that expires when the worker stops beating. */
  worker: (workerId: string) => `vae-workbench:worker:${workerId}`,
  workerPattern: 'vae-workbench:worker:*',
} as const;

export const jobIdFor = (runId: number): string => `run-${runId}`;

export const trainingJobSchema = z
  .object({
    kind: z.literal('vae-workbench-training'),
    runId: z.number().int().min(1),
    config: experimentConfigSchema,
    dataset: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('builtin'), id: z.string() }).strict(),
      /** An imported dataset: its content sits at keys.dataset(sha256), fetched once per worker machine. */
      z.object({ kind: z.literal('content'), id: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
    ]),
    /** The epoch of the checkpoint stored at keys.checkpoint when the job was published; 0: from scratch. */
    resumeEpoch: z.number().int().min(0),
    backend: z.enum(backendChoices).nullable(),
    allowSoftwareGpu: z.boolean().optional(),
  })
  .strict();

export type TrainingJob = z.infer<typeof trainingJobSchema>;

/** A job's data as a training job, or an error that says what is wrong with it (a foreign or malformed job). */
export function parseTrainingJob(jobId: string | undefined, data: unknown): TrainingJob {
  const parsed = trainingJobSchema.safeParse(data);
  if (!parsed.success) {
    throw new Error(
      `job ${jobId ?? '(no id)'} is not a VAE Workbench training job: ${formatIssues(parsed.error.issues, data)}`,
    );
  }
  return parsed.data;
}

/** Who trained what: stored with each epoch. */
export interface TrainedBy {
  worker: string;
  host: string;
}

/** One entry of a run's results stream. */
export type ResultEntry =
  | ({ type: 'ready'; backend: BackendInfo } & TrainedBy)
  | (EpochResult & { trainedBy: TrainedBy })
  | { type: 'failed'; epoch: number; message: string }
  | { type: 'finished' }
  /** The worker stopped the run because the coordinator asked. */
  | { type: 'stopped' }
  /** The run's training process ended without finishing (crash): the coordinator treats it as an interruption. */
  | { type: 'exit'; code: number | null; signal: string | null };

export const encodeEntry = (entry: ResultEntry): Buffer => serialize(entry);
export const decodeEntry = (data: Buffer): ResultEntry => deserialize(data) as ResultEntry;
export const encodeCheckpoint = (checkpoint: CheckpointPayload): Buffer => serialize(checkpoint);
export const decodeCheckpoint = (data: Buffer): CheckpointPayload => deserialize(data) as CheckpointPayload;
