import { isLatentMethodName, latentMethodNames } from '../../src-shared/latent';
import type { BackendInfo } from '../../src-shared/runs';
import { errorData } from '../api/errors';
import type { ParentPort } from '../child/parent-port';
import type { LatentEngine } from './engine';
import { NLL_REQUEST, type FromLatent, type NllRequest, type ToLatent } from './protocol';

/**
 * The latent process's message loop, independent of how the process was started: worker.ts connects it to its
 * parent's port (child_process.fork or Electron's utilityProcess); the in-process double drives it directly.
 * Requests run one at a time in arrival order (TF.js is single-threaded here anyway); each is answered by its id.
 * Answers are not awaited: one that cannot leave means the parent is gone, and the process ends with it.
 */

export type LatentPort = ParentPort<ToLatent, FromLatent>;

export interface LatentProcessDeps {
  /** Starts TF.js; resolves with the backend in use. */
  startBackend(): Promise<BackendInfo>;
  engine: LatentEngine;
}

export function runLatentProcess(port: LatentPort, deps: LatentProcessDeps): void {
  // Requests wait behind the backend's start; a process whose backend cannot start says why and exits.
  let chain: Promise<boolean> = deps.startBackend().then(
    (backend) => {
      port.send({ type: 'ready', backend });
      return true;
    },
    (error: unknown) => {
      port.send({ type: 'fatal', error: errorData(error) });
      port.exit(1);
      return false;
    },
  );

  port.onMessage((message) => {
    const id = typeof message?.id === 'number' ? message.id : -1;
    chain = chain.then(async (ok) => {
      if (!ok || id < 0) return ok;
      if (message.method === NLL_REQUEST) {
        try {
          const result = await deps.engine.estimateTestNll(message.input as NllRequest, (epoch, done, total) =>
            port.send({ type: 'progress', id, epoch, done, total }),
          );
          port.send({ type: 'result', id, ok: true, result });
        } catch (error) {
          port.send({ type: 'result', id, ok: false, error: errorData(error) });
        }
        return ok;
      }
      if (!isLatentMethodName(message.method)) {
        port.send({
          type: 'result',
          id,
          ok: false,
          error: {
            name: 'ValidationError',
            message: `${JSON.stringify(message.method)} is not a latent request; allowed: ${latentMethodNames.join(', ')}`,
          },
        });
        return ok;
      }
      try {
        const result = await deps.engine.handle(message.method, message.input);
        port.send({ type: 'result', id, ok: true, result });
      } catch (error) {
        port.send({ type: 'result', id, ok: false, error: errorData(error) });
      }
      return ok;
    });
  });
}
