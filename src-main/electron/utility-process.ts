import { utilityProcess } from 'electron';

/** The shape both child processes share (TrainingProcess, LatentProcess), whatever messages they carry. */
export interface UtilityChild<ToChild, FromChild> {
  readonly pid: number | undefined;
  send(message: ToChild): void;
  onMessage(listener: (message: FromChild) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

/**
 * A child process in the desktop app: Electron's utilityProcess (a Node process without a window), so TF.js never
 * runs on main's event loop and a crash in it takes down only the child. Messages are structured-cloned, like
 * fork's 'advanced' serialization, so typed arrays cross without JSON.
 */
export function utilityChild<ToChild, FromChild>(
  modulePath: string,
  args: string[],
  serviceName: string,
): UtilityChild<ToChild, FromChild> {
  const child = utilityProcess.fork(modulePath, args, { serviceName, stdio: 'inherit' });
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    get pid() {
      return child.pid;
    },
    send(message: ToChild) {
      if (!exited) child.postMessage(message);
    },
    onMessage(listener) {
      child.on('message', (message: unknown) => listener(message as FromChild));
    },
    onExit(listener) {
      // utilityProcess reports only an exit code; a kill shows up as a non-zero code.
      child.once('exit', (code: number) => listener(code, null));
    },
    kill() {
      child.kill();
    },
  };
}
