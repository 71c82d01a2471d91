import type {
  LatentDecodeInput,
  LatentDecodeResult,
  LatentEncodeTestInput,
  LatentEncodeTestResult,
  LatentErrorName,
  LatentInterpolateInput,
  LatentInterpolateResult,
  LatentManifoldInput,
  LatentManifoldResult,
  LatentPriorSamplesInput,
  LatentPriorSamplesResult,
  LatentTestImagesInput,
  LatentTestImagesResult,
  LatentTraversalsInput,
  LatentTraversalsResult,
} from '../../src-shared/latent';
import type { BackendInfo } from '../../src-shared/runs';

/**
 * Messages between main (LatentService) and the latent process (LatentEngine behind worker.ts). Requests carry an
 * id and are answered by id, one at a time in arrival order. Sent by structured clone (fork's 'advanced'
 * serialization / utilityProcess postMessage), so images cross as Uint8Array without JSON; weights never cross:
 * the latent process reads checkpoints from the SQLite file itself.
 */

/** Each method's input (before defaults) and result. */
export interface LatentMethods {
  decode: { input: LatentDecodeInput; result: LatentDecodeResult<Uint8Array> };
  manifold: { input: LatentManifoldInput; result: LatentManifoldResult<Uint8Array> };
  priorSamples: { input: LatentPriorSamplesInput; result: LatentPriorSamplesResult<Uint8Array> };
  encodeTest: { input: LatentEncodeTestInput; result: LatentEncodeTestResult };
  testImages: { input: LatentTestImagesInput; result: LatentTestImagesResult<Uint8Array> };
  traversals: { input: LatentTraversalsInput; result: LatentTraversalsResult<Uint8Array> };
  interpolate: { input: LatentInterpolateInput; result: LatentInterpolateResult<Uint8Array> };
}

export type LatentMethod = keyof LatentMethods;
export const latentMethods: readonly LatentMethod[] = [
  'decode',
  'manifold',
  'priorSamples',
  'encodeTest',
  'testImages',
  'traversals',
  'interpolate',
];

export type LatentInput<M extends LatentMethod> = LatentMethods[M]['input'];
export type LatentResult<M extends LatentMethod> = LatentMethods[M]['result'];

export interface LatentErrorData {
  name: LatentErrorName | string;
  message: string;
}

export interface ToLatent {
  id: number;
  method: LatentMethod;
  input: unknown;
}

export type FromLatent =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: LatentErrorData }
  /** The process cannot serve at all (e.g. no TF.js backend starts); it exits after sending this. */
  | { type: 'fatal'; error: LatentErrorData };

/** A failure that names the bad value; `name` is what crosses to the UI. */
export class LatentError extends Error {
  constructor(
    override readonly name: LatentErrorName,
    message: string,
  ) {
    super(message);
  }
}
