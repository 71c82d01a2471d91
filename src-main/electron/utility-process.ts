import { utilityProcess } from 'electron';
import type { ChildHandle } from '../child/handle';

/**
 * A child process in the desktop app: Electron's utilityProcess (a Node process without a window), so TF.js never
 * runs on main's event loop and a crash in it takes down only the child. Messages are structured-cloned, like
 * fork's 'advanced' serialization, so typed arrays cross without JSON. The child talks back through
 * child/parent-port.ts, which also ends it when the app goes.
 */
export function utilityChild<ToChild, FromChild>(
  modulePath: string,
  args: string[],
  serviceName: string,
): ChildHandle<ToChild, FromChild> {
  const child = utilityProcess.fork(modulePath, args, { serviceName, stdio: 'inherit' });
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
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
