import { FINAL_ACK_TIMEOUT_MS, finalEnvelope, isAck } from './final-message';

/**
 * A child process's side of the channel to its parent, the same whether child_process.fork started it (process.send
 * and the 'message' event) or Electron's utilityProcess did (process.parentPort). FromParent and ToParent are the two
 * directions of the child's message protocol.
 */
export interface ParentPort<FromParent, ToParent> {
  /** Resolves once the message has left this process; rejects when the channel to the parent is closed. */
  send(message: ToParent): Promise<void>;
  /**
   * The last message before exiting (finished, failed): resolves true once the parent has handled it and said so, or
   * false after the time limit (default FINAL_ACK_TIMEOUT_MS) or when the channel is closed. Call exit after it.
   */
  sendFinal(message: ToParent, timeoutMs?: number): Promise<boolean>;
  onMessage(listener: (message: FromParent) => void): void;
  /** Ends the process once the messages already sent have left; nothing more is delivered meanwhile. */
  exit(code: number): void;
}

/** The exit code of a child that ended because its parent went away. */
export const PARENT_GONE_EXIT_CODE = 3;

/** How often a child looks whether its parent is still there, ms. */
const PARENT_CHECK_MS = 1000;

/** Electron's utilityProcess gives the child `process.parentPort` (electron itself may not be imported here). */
interface UtilityParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** What the port uses of `process`; tests pass a stand-in. */
export type ChildSide = Pick<NodeJS.Process, 'ppid' | 'send' | 'on' | 'exit' | 'kill'> & {
  parentPort?: UtilityParentPort;
};

interface Channel {
  send(message: unknown): Promise<void>;
  onMessage(listener: (message: unknown) => void): void;
  /** Settles once every message sent so far has left the process. */
  flushed(): Promise<void>;
}

/**
 * The port to this process's parent. Call it once, at the start of a child entry: from then on the process exits
 * (code 3) when its parent goes, so no training or decoding outlives the app, even after a kill -9 of it.
 */
export function parentPort<FromParent, ToParent>(proc: ChildSide = process): ParentPort<FromParent, ToParent> {
  const channel = proc.parentPort ? utilityChannel(proc.parentPort) : forkChannel(proc);
  exitWithParent(proc);
  let exiting = false;
  const listeners: ((message: FromParent) => void)[] = [];
  const ackWaiters: (() => void)[] = [];
  let listening = false;
  // One channel listener, added on first need: the parent's acks are read even while the process is exiting.
  const listen = (): void => {
    if (listening) return;
    listening = true;
    channel.onMessage((message) => {
      if (isAck(message)) ackWaiters.shift()?.();
      else if (!exiting) for (const listener of listeners) listener(message as FromParent);
    });
  };
  return {
    send: (message) => channel.send(message),
    sendFinal: (message, timeoutMs = FINAL_ACK_TIMEOUT_MS) => {
      listen();
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), timeoutMs);
        const done = (acked: boolean): void => {
          clearTimeout(timer);
          const i = ackWaiters.indexOf(onAck);
          if (i !== -1) ackWaiters.splice(i, 1);
          resolve(acked);
        };
        const onAck = (): void => done(true);
        ackWaiters.push(onAck);
        channel.send(finalEnvelope(message)).catch(() => done(false));
      });
    },
    onMessage: (listener) => {
      listen();
      listeners.push(listener);
    },
    exit: (code) => {
      if (exiting) return;
      exiting = true;
      void channel.flushed().finally(() => proc.exit(code));
    },
  };
}

function utilityChannel(port: UtilityParentPort): Channel {
  return {
    send: async (message) => port.postMessage(message),
    onMessage: (listener) => port.on('message', (event) => listener(event.data)),
    // postMessage hands the message to Electron synchronously; a turn of the event loop lets it go out.
    flushed: () => new Promise((resolve) => setTimeout(resolve, 50)),
  };
}

function forkChannel(proc: ChildSide): Channel {
  const send = proc.send?.bind(proc);
  if (!send) {
    throw new Error(
      'this process must be started by child_process.fork (with an IPC channel) or by Electron utilityProcess',
    );
  }
  const inFlight = new Set<Promise<void>>();
  return {
    send: (message) => {
      const sent = new Promise<void>((resolve, reject) => {
        send(message, undefined, undefined, (error: Error | null) => (error ? reject(error) : resolve()));
      });
      // This handler also marks the promise handled: a sender that does not wait is not an unhandled rejection.
      const settle = (): void => void inFlight.delete(sent);
      inFlight.add(sent);
      sent.then(settle, settle);
      return sent;
    },
    onMessage: (listener) => proc.on('message', (message: unknown) => listener(message)),
    flushed: () => Promise.allSettled([...inFlight]).then(() => undefined),
  };
}

/**
 * Under fork a parent that dies (even by kill -9) closes the IPC channel: 'disconnect'. utilityProcess has no such
 * event, so the parent is also looked for every second: on POSIX a child whose parent died is re-parented (its ppid
 * changes); on Windows its parent's pid stops answering.
 */
function exitWithParent(proc: ChildSide): void {
  proc.on('disconnect', () => proc.exit(PARENT_GONE_EXIT_CODE));
  const parent = proc.ppid;
  setInterval(() => {
    if (proc.ppid !== parent || !isAlive(proc, parent)) proc.exit(PARENT_GONE_EXIT_CODE);
  }, PARENT_CHECK_MS).unref();
}

function isAlive(proc: ChildSide, pid: number): boolean {
  try {
    proc.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, which still means it is there.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
