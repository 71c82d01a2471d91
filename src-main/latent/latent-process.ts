import { isLatentMethodName, latentMethodNames } from '../../src-shared/latent';
import type { BackendInfo } from '../../src-shared/runs';
import type { LatentEngine } from './engine';
import type { FromLatent, LatentErrorData, ToLatent } from './protocol';

/**
 * The latent process's message loop, independent of how the process was started: worker.ts connects it to
 * child_process.fork's IPC channel or Electron's utilityProcess parentPort; tests drive it through a fake port.
 * Requests run one at a time in arrival order (TF.js is single-threaded here anyway); each is answered by its id.
 */

export interface LatentPort {
  send(message: FromLatent): void;
  onMessage(listener: (message: ToLatent) => void): void;
  exit(code: number): void;
}

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

export function errorData(error: unknown): LatentErrorData {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Electron's utilityProcess gives the child `process.parentPort`; child_process.fork gives `process.send`. */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function latentPortFromProcess(proc: NodeJS.Process): LatentPort {
  const parentPort = (proc as NodeJS.Process & { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as ToLatent)),
      // postMessage hands the message to Electron synchronously; a turn of the event loop lets it go out.
      exit: (code) => void setTimeout(() => proc.exit(code), 50),
    };
  }
  const send = proc.send?.bind(proc);
  if (!send) {
    throw new Error(
      'the latent process must be started by child_process.fork (with an IPC channel) or Electron utilityProcess',
    );
  }
  return {
    send: (message) => void send(message),
    onMessage: (listener) => proc.on('message', (message) => listener(message as ToLatent)),
    exit: (code) => void setTimeout(() => proc.exit(code), 50),
  };
}
