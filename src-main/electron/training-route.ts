import { createRequire } from 'node:module';
import { parseBackendChoice, type BackendName, type BackendPreference } from '../../src-shared/backends';
import type { BackendInfo } from '../../src-shared/runs';
import type { TrainingProcess, SpawnTraining } from '../queue/types';
import { allowSoftwareGpuEnvVar, backendEnvVar } from '../training/backend-order';
import type { FromWorker, ToWorker } from '../training/protocol';
import type { WindowGpuReport } from '../training/window-backend';

/**
 * Which host trains a run in the desktop app. Dawn cannot read GPU buffers inside Electron (backend.ts), so webgpu
 * runs train in the hidden WebGPU window on Chromium's own navigator.gpu; every other backend trains in the training
 * process. Decided per run from its 'start' message, so the queue runner keeps one spawn and one protocol.
 */

export type TrainingHost = 'process' | 'window';

export interface RouteChoice {
  /** The backend the run asks for, after the environment: null is auto. */
  wanted: BackendName | null;
  allowSoftwareGpu: boolean;
  /** Whether native TensorFlow with CUDA is installed: auto then tries it first, in the process. */
  nativeGpuInstalled: boolean;
  /** The window's adapter (asked only for auto). */
  windowGpu: WindowGpuReport | null;
}

/** auto follows the order of backend-order.ts: tensorflow (GPU) first when installed, then webgpu, then the rest. */
export function chooseTrainingHost(choice: RouteChoice): TrainingHost {
  if (choice.wanted === 'webgpu') return 'window';
  if (choice.wanted !== null || choice.nativeGpuInstalled) return 'process';
  const gpu = choice.windowGpu;
  if (gpu === null || !('adapter' in gpu)) return 'process';
  return gpu.adapter.software && !choice.allowSoftwareGpu ? 'process' : 'window';
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

export interface RoutedTrainingOptions {
  spawnProcess: () => TrainingProcess;
  spawnWindow: () => TrainingProcess;
  /** The window's adapter; asked once per run with backend auto (cache it: it opens a window). */
  probeWindowGpu: () => Promise<WindowGpuReport>;
  nativeGpuInstalled: () => boolean;
  env?: Record<string, string | undefined>;
}

type Listener<T extends unknown[]> = (...args: T) => void;

/**
 * A spawn for the queue runner whose handle waits for the run's 'start' message, picks the host, then forwards
 * everything to it. The window gets an explicit start (backend webgpu, software allowed or not), since a page has no
 * environment to read. A run in the process whose webgpu was skipped learns why the window could not take it.
 */
export function routedTraining(options: RoutedTrainingOptions): SpawnTraining {
  const env = options.env ?? process.env;
  return () => {
    let inner: TrainingProcess | null = null;
    let killed = false;
    const queued: ToWorker[] = [];
    const messageListeners: Listener<[FromWorker]>[] = [];
    const exitListeners: Listener<[number | null, string | null]>[] = [];
    /** What the run's page should also say about the backends skipped before the one it got. */
    let amendReady: ((backend: BackendInfo) => BackendInfo) | null = null;

    const attach = (child: TrainingProcess): void => {
      inner = child;
      child.onMessage((message) => {
        const shown: FromWorker =
          message.type === 'ready' && amendReady !== null
            ? { type: 'ready', backend: amendReady(message.backend) }
            : message;
        for (const listener of messageListeners) listener(shown);
      });
      child.onExit((code, signal) => {
        for (const listener of exitListeners) listener(code, signal);
      });
      for (const message of queued.splice(0)) child.send(message);
    };
    const fail = (code: number | null, signal: string | null): void => {
      for (const listener of exitListeners.splice(0)) listener(code, signal);
    };

    const route = async (start: Extract<ToWorker, { type: 'start' }>): Promise<void> => {
      let wanted: BackendName | null;
      try {
        wanted = parseBackendChoice(
          start.backend ?? env[backendEnvVar],
          start.backend === null ? backendEnvVar : 'backend',
        );
      } catch {
        // The training process names the bad value in the run's error.
        return attach(options.spawnProcess());
      }
      const allowSoftwareGpu = start.allowSoftwareGpu ?? envFlag(env[allowSoftwareGpuEnvVar]);
      const nativeGpuInstalled = wanted === null && options.nativeGpuInstalled();
      let windowGpu: WindowGpuReport | null = null;
      if (wanted === null && !nativeGpuInstalled) {
        windowGpu = await options.probeWindowGpu().catch((error: unknown) => ({ reason: (error as Error).message }));
      }
      if (killed) return;
      const host = chooseTrainingHost({ wanted, allowSoftwareGpu, nativeGpuInstalled, windowGpu });
      if (host === 'window') {
        queued[queued.indexOf(start)] = { ...start, backend: 'webgpu', allowSoftwareGpu };
        let window: TrainingProcess;
        try {
          window = options.spawnWindow();
        } catch (error) {
          // As a training process whose backend cannot start: the run fails naming why, rather than being retried.
          const epoch = start.resumeFrom === null ? 1 : start.resumeFrom.epoch + 1;
          for (const listener of messageListeners)
            listener({ type: 'failed', epoch, message: (error as Error).message });
          return fail(1, null);
        }
        if (wanted === null) {
          // auto reached webgpu because CUDA TensorFlow is not installed: the run says so, as the process would.
          amendReady = (backend) => ({
            ...backend,
            skipped: [
              { backend: 'tensorflow (GPU)', reason: '@tensorflow/tfjs-node-gpu is not installed' },
              ...backend.skipped,
            ],
          });
        }
        return attach(window);
      }
      if (windowGpu !== null) {
        const reason =
          'reason' in windowGpu
            ? windowGpu.reason
            : `the app's WebGPU window offers only a software adapter (${windowGpu.adapter.architecture || windowGpu.adapter.vendor}), slower than wasm; pass --allow-software-gpu to use it anyway`;
        amendReady = (backend) => explainWindow(backend, reason);
      }
      attach(options.spawnProcess());
    };

    return {
      get pid() {
        return inner?.pid;
      },
      send(message) {
        if (inner !== null) return inner.send(message);
        if (killed) return;
        queued.push(message);
        if (message.type === 'start' && queued.length === 1) {
          route(message).catch((error: unknown) => {
            console.error(`could not choose where run ${message.runId} trains: ${(error as Error).message}`);
            if (inner === null) fail(1, null);
          });
        }
      },
      onMessage(listener) {
        messageListeners.push(listener);
      },
      onExit(listener) {
        exitListeners.push(listener);
      },
      kill() {
        if (inner !== null) return inner.kill();
        if (killed) return;
        killed = true;
        fail(null, 'SIGKILL');
      },
    };
  };
}

/** The process skipped webgpu because Dawn cannot run in Electron; the run's page says why the window could not either. */
function explainWindow(backend: BackendInfo, reason: string): BackendInfo {
  return {
    ...backend,
    skipped: backend.skipped.map((s) =>
      s.backend === 'webgpu' ? { ...s, reason: `webgpu in the app's window: ${reason}` } : s,
    ),
  };
}

/** Whether an optional package can be loaded from here (tfjs-node-gpu is absent on most machines). */
export function isInstalled(
  specifier: string,
  resolve: (id: string) => string = createRequire(__filename).resolve,
): boolean {
  try {
    resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * The latent views' backend in the app. They read checkpoints from SQLite, so they run in a process, where Dawn
 * cannot (backend.ts): a webgpu preference decodes on the best other backend there, and its page says why.
 */
export function latentPreferenceInApp(preference: BackendPreference | undefined): BackendPreference | undefined {
  return preference?.backend === 'webgpu' ? { ...preference, backend: 'auto' } : preference;
}
