import type { ApiErrorData } from '../../src-shared/api';
import type { LatentErrorName, LatentMethodName } from '../../src-shared/latent';
import type { BackendInfo } from '../../src-shared/runs';

/**
 * Messages between main (LatentService) and the latent process (LatentEngine behind worker.ts). A request names a
 * latent method of the API contract and carries its input; it is answered by id, one at a time in arrival order.
 * Sent by structured clone (fork's 'advanced' serialization / utilityProcess postMessage), so images cross as
 * Uint8Array without JSON; weights never cross: the latent process reads checkpoints from the SQLite file itself.
 */

export interface ToLatent {
  id: number;
  /** A latent method of the contract, or the test-NLL estimate (long: it reports progress). */
  method: LatentMethodName | typeof NLL_REQUEST;
  input: unknown;
}

/** The latent process's one request outside the latent contract: estimating a checkpoint's test NLL. */
export const NLL_REQUEST = 'estimateTestNll';

/** What the NLL request carries: the run, its checkpoint (newest when absent) and the estimator's settings. */
export interface NllRequest {
  runId: number;
  epoch?: number;
  k: number;
  examples: number | null;
}

export type FromLatent =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: ApiErrorData }
  /** Progress of a long request (the NLL estimate): examples done of total, for the checkpoint of that epoch. */
  | { type: 'progress'; id: number; epoch: number; done: number; total: number }
  /** The process cannot serve at all (e.g. no TF.js backend starts); it exits after sending this. */
  | { type: 'fatal'; error: ApiErrorData };

/** A failure that names the bad value; `name` is what crosses to the UI. */
export class LatentError extends Error {
  constructor(
    override readonly name: LatentErrorName,
    message: string,
  ) {
    super(message);
  }
}
