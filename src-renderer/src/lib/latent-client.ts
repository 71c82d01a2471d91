import type { z } from 'zod';
import type { MethodSpec, WorkbenchClient } from '../../../src-shared/api';
import type { latentApi } from '../../../src-shared/latent';

/** Calls into the latent views' part of the contract, and the random prior draw the explorer starts from. */

type LatentApi = typeof latentApi;
export type LatentMethodName = keyof LatentApi;
export type LatentCallInput<M extends LatentMethodName> = z.input<LatentApi[M]['input']>;
export type LatentCallOutput<M extends LatentMethodName> =
  LatentApi[M] extends MethodSpec<z.ZodType, infer O> ? O : never;

export function callLatent<M extends LatentMethodName>(
  client: WorkbenchClient,
  method: M,
  input: LatentCallInput<M>,
): Promise<LatentCallOutput<M>> {
  return client.call(method, input) as Promise<LatentCallOutput<M>>;
}

export function fromBase64(b64: string): Uint8Array {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** A draw from N(0, I) by Box–Muller: a random starting point for the explorer. */
export function randomPriorCode(latentDim: number): number[] {
  return Array.from({ length: latentDim }, () => {
    const u1 = 1 - Math.random();
    const u2 = Math.random();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  });
}
