import {
  ApiError,
  type ApiErrorData,
  type MethodName,
  type MethodOutput,
  type WorkbenchBridge,
  type WorkbenchClient,
} from '../../../src-shared/api';
import {
  decodeJson,
  encodeJson,
  eventNames,
  isEventName,
  type ApiEvents,
  type EventName,
} from '../../../src-shared/contract';

/**
 * Which transport this page uses: the desktop preload's bridge when present; HTTP when a server served the page;
 * neither on a file: page without the bridge, which means the desktop app's preload failed (HTTP there would only
 * say "Failed to fetch").
 */
export function pickTransport(hasBridge: boolean, protocol: string): 'ipc' | 'http' | 'no-preload' {
  if (hasBridge) return 'ipc';
  return protocol === 'file:' ? 'no-preload' : 'http';
}

export const preloadFailedMessage =
  'The desktop window could not reach the workbench: its preload script (out/preload/index.js) did not load, ' +
  'so there is no bridge to the main process. The terminal that started the app shows the preload’s error; ' +
  'rebuild with `npm run build` and start again, or use the browser mode (`npx vae-workbench serve`).';

/** Picks the transport once: the desktop preload's bridge when present, else HTTP to the server that served this page. */
export function connect(): WorkbenchClient {
  const transport = pickTransport(window.workbench !== undefined, window.location.protocol);
  if (transport === 'no-preload') throw new Error(preloadFailedMessage);
  if (window.workbench) return ipcClient(window.workbench);
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem('workbench-token', fromUrl);
    // Keep the token out of the address bar (screenshots, shared screens); a reload finds it in this tab's storage.
    const url = new URL(window.location.href);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.toString());
  }
  return httpClient(fromUrl ?? sessionStorage.getItem('workbench-token') ?? '');
}

function ipcClient(bridge: WorkbenchBridge): WorkbenchClient {
  return {
    transport: 'ipc',
    async call(method, input) {
      const reply = await bridge.call(method, input);
      if (!reply.ok) throw new ApiError(reply.error.name, reply.error.message);
      return reply.result as MethodOutput<typeof method>;
    },
    on(event, listener) {
      return bridge.on(event, (payload) => listener(payload as ApiEvents[typeof event]));
    },
  };
}

type AnyListener = (payload: unknown) => void;

function httpClient(token: string): WorkbenchClient {
  const listeners = new Map<EventName, Set<AnyListener>>();
  const connectionListeners = new Set<(connected: boolean) => void>();
  let source: EventSource | null = null;
  let dropped = false;

  const openEvents = (): void => {
    if (source) return;
    source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
    // EventSource retries by itself; tell the UI so it can say so and refetch what it missed.
    source.addEventListener('error', () => {
      if (dropped) return;
      dropped = true;
      connectionListeners.forEach((l) => l(false));
    });
    source.addEventListener('open', () => {
      if (!dropped) return;
      dropped = false;
      connectionListeners.forEach((l) => l(true));
    });
    for (const name of eventNames) {
      source.addEventListener(name, (e) => {
        const payload = decodeJson((e as MessageEvent<string>).data);
        for (const listener of listeners.get(name) ?? []) listener(payload);
      });
    }
  };

  return {
    transport: 'http',
    async call<M extends MethodName>(method: M, input: unknown): Promise<MethodOutput<M>> {
      const res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-workbench-token': token },
        body: encodeJson(input ?? {}),
      });
      const body = decodeJson(await res.text()) as { result?: unknown; error?: ApiErrorData };
      if (!res.ok || body.error) {
        const error = body.error ?? { name: 'HttpError', message: `${method}: HTTP ${res.status}` };
        throw new ApiError(error.name, error.message);
      }
      return body.result as MethodOutput<M>;
    },
    on(event, listener) {
      if (!isEventName(event)) throw new Error(`${String(event)} is not an API event`);
      openEvents();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as AnyListener);
      return () => set.delete(listener as AnyListener);
    },
    onConnection(listener) {
      openEvents();
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };
}
