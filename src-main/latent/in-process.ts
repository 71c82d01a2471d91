import type { BackendInfo } from '../../src-shared/runs';
import type { BackendPreference } from '../../src-shared/backends';
import { selectBackend } from '../training/backend';
import { LatentEngine } from './engine';
import { runLatentProcess } from './latent-process';
import type { FromLatent, ToLatent } from './protocol';
import type { LatentProcess, SpawnLatent } from './service';

/**
 * A latent "process" inside this one: the same message loop and engine as worker.ts, messages structured-cloned and
 * delivered on a later turn like real IPC. For tests and for measuring the engine without a build; the app forks.
 * kill() ends it as a crash would: nothing more is answered and the exit listeners run.
 */
export function spawnInProcess(options: { backend?: string | null } = {}): SpawnLatent {
  let nextPid = 1_000_000;
  return (dbPath: string, preference?: BackendPreference): LatentProcess => {
    const pid = nextPid++;
    const engine = new LatentEngine({ dbPath });
    const toParent: ((message: FromLatent) => void)[] = [];
    const toChild: ((message: ToLatent) => void)[] = [];
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    let alive = true;
    const end = (code: number | null, signal: string | null): void => {
      if (!alive) return;
      alive = false;
      engine.close();
      setImmediate(() => exitListeners.forEach((l) => l(code, signal)));
    };
    runLatentProcess(
      {
        send: async (message) => {
          const copy = structuredClone(message);
          setImmediate(() => alive && toParent.forEach((l) => l(copy)));
        },
        // Handled by the listeners in the same turn it is delivered: that is the ack.
        sendFinal: (message) =>
          new Promise<boolean>((resolve) => {
            const copy = structuredClone(message);
            setImmediate(() => {
              if (alive) toParent.forEach((l) => l(copy));
              resolve(alive);
            });
          }),
        onMessage: (listener) => toChild.push(listener),
        exit: (code) => end(code, null),
      },
      {
        engine,
        // A backend fixed by the caller (tests) wins over the workbench's preference.
        startBackend: (): Promise<BackendInfo> =>
          selectBackend(options.backend ?? preference?.backend ?? null, {
            allowSoftwareGpu: preference?.allowSoftwareGpu,
          }),
      },
    );
    return {
      pid,
      send(message) {
        const copy = structuredClone(message);
        setImmediate(() => alive && toChild.forEach((l) => l(copy)));
      },
      onMessage: (listener) => void toParent.push(listener),
      onExit: (listener) => void exitListeners.push(listener),
      kill: () => end(null, 'SIGKILL'),
    };
  };
}
