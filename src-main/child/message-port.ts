import type { ChildHandle } from './handle';
import { exitLatch } from './exit-latch';
import type { ParentPort } from './parent-port';

/**
 * A child that is not a process but a page (the desktop app's hidden WebGPU window), reached over a MessagePort: the
 * same ChildHandle and ParentPort as a forked child, so the parent and the child's message loop cannot tell the hosts
 * apart. What a process does by itself (read files, exit) a page asks of its parent: `request` calls a service the
 * parent offers (e.g. loading a dataset), `exit` tells the parent to close the page.
 */

/** One end of a MessagePort as either side has it (Electron's MessagePortMain, the DOM's, Node's, a test's). */
export interface PortLike {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  close(): void;
}

/** The services a parent offers its page child: name → input and output. */
export type ServiceMap = Record<string, { input: unknown; output: unknown }>;

export type ServiceHandlers<S extends ServiceMap> = {
  [K in keyof S]: (input: S[K]['input']) => Promise<S[K]['output']>;
};

/** What travels on the port: the child's own protocol, wrapped, and the few things a process would do alone. */
export type PortEnvelope =
  | { kind: 'message'; message: unknown }
  /** The child has its port and listens (the start time-box no longer applies), with what it tells about itself. */
  | { kind: 'hello'; about?: unknown }
  | { kind: 'exit'; code: number }
  | { kind: 'request'; id: number; service: string; input: unknown }
  | { kind: 'reply'; id: number; ok: true; output: unknown }
  | { kind: 'reply'; id: number; ok: false; error: { name: string; message: string } };

function isEnvelope(value: unknown): value is PortEnvelope {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

export interface PortChildOptions<S extends ServiceMap> {
  services: ServiceHandlers<S>;
  /** Ends the page at once (destroys the window); its exit is then reported as killed. */
  destroy(): void;
  /** The page went away by itself (its renderer crashed, the window closed): reported as an exit with this reason. */
  onGone(listener: (reason: string) => void): void;
  /** A page that has not said hello within this time is given up (destroyed, reported exited). Default 20 s. */
  startTimeoutMs?: number;
  pid?: number;
  /** What the page tells about itself when it starts (portParent's `about`). */
  onHello?(about: unknown): void;
}

/** The signal reported for a page child that was destroyed, as SIGKILL is for a process. */
export const PAGE_DESTROYED = 'destroyed';

/** The parent's side: a ChildHandle over the port. */
export function portChild<ToChild, FromChild, S extends ServiceMap>(
  port: PortLike,
  options: PortChildOptions<S>,
): ChildHandle<ToChild, FromChild> {
  const listeners: ((message: FromChild) => void)[] = [];
  const end = (): void => {
    port.close();
    options.destroy();
  };
  const exit = exitLatch(options.startTimeoutMs ?? 20_000, end);
  exit.onExit(() => end());
  options.onGone((reason) => exit.exited(null, reason));

  const reply = (envelope: PortEnvelope): void => {
    if (!exit.hasExited) port.postMessage(envelope);
  };
  port.onMessage((data) => {
    if (exit.hasExited || !isEnvelope(data)) return;
    switch (data.kind) {
      case 'hello':
        exit.started();
        options.onHello?.(data.about);
        break;
      case 'message':
        for (const listener of listeners) listener(data.message as FromChild);
        break;
      case 'exit':
        exit.exited(data.code, null);
        break;
      case 'request': {
        const { id, service } = data;
        const handler = Object.hasOwn(options.services, service)
          ? (options.services[service] as (input: unknown) => Promise<unknown>)
          : undefined;
        if (handler === undefined) {
          const known = Object.keys(options.services).join(', ');
          reply({
            kind: 'reply',
            id,
            ok: false,
            error: { name: 'Error', message: `no service '${service}'; offered: ${known}` },
          });
          break;
        }
        handler(data.input).then(
          (output) => reply({ kind: 'reply', id, ok: true, output }),
          (error: unknown) =>
            reply({
              kind: 'reply',
              id,
              ok: false,
              error:
                error instanceof Error
                  ? { name: error.name, message: error.message }
                  : { name: 'Error', message: String(error) },
            }),
        );
        break;
      }
    }
  });

  return {
    pid: options.pid,
    send(message) {
      if (!exit.hasExited) port.postMessage({ kind: 'message', message } satisfies PortEnvelope);
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    onExit(listener) {
      exit.onExit(listener);
    },
    kill() {
      exit.exited(null, PAGE_DESTROYED);
    },
  };
}

/** The page's side: its parent as a ParentPort, plus the parent's services. */
export interface PortParent<FromParent, ToParent, S extends ServiceMap> extends ParentPort<FromParent, ToParent> {
  request<K extends keyof S & string>(service: K, input: S[K]['input']): Promise<S[K]['output']>;
}

export function portParent<FromParent, ToParent, S extends ServiceMap>(
  port: PortLike,
  about?: unknown,
): PortParent<FromParent, ToParent, S> {
  const listeners: ((message: FromParent) => void)[] = [];
  const pending = new Map<number, { resolve: (output: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exiting = false;
  port.onMessage((data) => {
    if (exiting || !isEnvelope(data)) return;
    if (data.kind === 'message') {
      for (const listener of listeners) listener(data.message as FromParent);
    } else if (data.kind === 'reply') {
      const entry = pending.get(data.id);
      if (entry === undefined) return;
      pending.delete(data.id);
      if (data.ok) entry.resolve(data.output);
      else entry.reject(Object.assign(new Error(data.error.message), { name: data.error.name }));
    }
  });
  port.postMessage({ kind: 'hello', about } satisfies PortEnvelope);
  const send = async (message: ToParent): Promise<void> => {
    if (exiting) throw new Error('the page is exiting: nothing more is sent to its parent');
    port.postMessage({ kind: 'message', message } satisfies PortEnvelope);
  };
  return {
    send,
    // A port delivers in order and the page's exit is itself a message sent after this one: nothing overtakes it,
    // so the parent has the message before it hears of the exit without an acknowledgement.
    async sendFinal(message) {
      await send(message);
      return true;
    },
    onMessage(listener) {
      listeners.push(listener);
    },
    exit(code) {
      if (exiting) return;
      exiting = true;
      for (const entry of pending.values()) entry.reject(new Error(`the page exited (code ${code})`));
      pending.clear();
      // Messages on a port arrive in order: everything sent before reaches the parent before the exit does.
      port.postMessage({ kind: 'exit', code } satisfies PortEnvelope);
    },
    request(service, input) {
      if (exiting) return Promise.reject(new Error(`the page is exiting: cannot ask for '${service}'`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (output: unknown) => void, reject });
        port.postMessage({ kind: 'request', id, service, input } satisfies PortEnvelope);
      });
    },
  };
}
