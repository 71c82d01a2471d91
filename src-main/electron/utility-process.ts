import { utilityProcess } from 'electron';
import type { ChildHandle } from '../child/handle';
import { exitLatch } from '../child/exit-latch';
import { ACK, messageDispatcher } from '../child/final-message';

/** A child that has not launched within this time is given up (killed, reported exited). */
const START_TIMEOUT_MS = 20_000;

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
  // utilityProcess emits no 'exit' for a process that never launched: the latch time-boxes the start.
  const exit = exitLatch(START_TIMEOUT_MS, () => {
    console.error(`${serviceName} did not start within ${START_TIMEOUT_MS / 1000} s; giving up on it`);
    child.kill();
  });
  child.once('spawn', () => exit.started());
  // utilityProcess reports only an exit code; a kill shows up as a non-zero code.
  child.once('exit', (code: number) => exit.exited(code, null));
  const messages = messageDispatcher<FromChild>(() => {
    if (!exit.hasExited) child.postMessage(ACK);
  });
  child.on('message', messages.dispatch);
  return {
    get pid() {
      return child.pid;
    },
    send(message) {
      if (!exit.hasExited) child.postMessage(message);
    },
    onMessage(listener) {
      messages.add(listener);
    },
    onExit(listener) {
      exit.onExit(listener);
    },
    kill() {
      child.kill();
    },
  };
}
