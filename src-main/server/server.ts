import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { forkTraining } from '../queue/fork';
import type { SpawnTraining } from '../queue/types';
import { forkLatent } from '../latent/fork';
import type { SpawnLatent } from '../latent/service';
import { openWorkbench } from '../workbench/workbench';
import { createHttpHandler } from './http';
import { APP_VERSION } from '../version';
import type { RemoteWorkerInfo } from '../../src-shared/api';

export interface ServerOptions {
  dbPath: string;
  /** 0 picks a free port. */
  port?: number;
  /** 127.0.0.1 unless told otherwise: the workbench trusts whoever holds the token. */
  host?: string;
  backend?: string | null;
  /** Runs to train at once (`serve --workers N`); null: the stored setting, else automatic. */
  workers?: number | null;
  /** The built renderer; found beside the bundle or in ./out/renderer when absent. */
  rendererDir?: string;
  spawn?: SpawnTraining;
  /** With `spawn` from a Redis coordinator: how many runs are published as jobs at once. */
  remoteSlots?: number | (() => number);
  remoteWorkers?: () => Promise<RemoteWorkerInfo[]>;
  spawnLatent?: SpawnLatent;
  /** Fixed token (tests); a random one per launch otherwise. */
  token?: string;
  /** false leaves the queue unworked (tests that must see the store change only through their own calls). */
  workQueue?: boolean;
}

export interface RunningServer {
  /** http://HOST:PORT/?token=TOKEN — the one line `serve` prints. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export function findRendererDir(explicit?: string): string | null {
  const candidates = [
    explicit,
    process.env.VAE_WORKBENCH_RENDERER,
    join(__dirname, '../renderer'),
    process.argv[1] ? join(dirname(process.argv[1]), '../renderer') : undefined,
    resolve(process.cwd(), 'out/renderer'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return candidates.find((p) => existsSync(join(p, 'index.html'))) ?? null;
}

/** Browser mode: the same API and renderer as the desktop app, over HTTP + server-sent events. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`port = ${JSON.stringify(port)}: allowed: an integer from 0 to 65535 (0 picks a free port)`);
  }
  const token = opts.token ?? randomBytes(24).toString('hex');
  const workbench = openWorkbench({
    dbPath: opts.dbPath,
    spawn: opts.spawn ?? (() => forkTraining()),
    spawnLatent: opts.spawnLatent ?? ((dbPath, backend) => forkLatent(dbPath, undefined, backend)),
    backend: opts.backend ?? null,
    workers: opts.workers ?? null,
    ...(opts.remoteSlots === undefined ? {} : { remoteSlots: opts.remoteSlots }),
    ...(opts.remoteWorkers === undefined ? {} : { remoteWorkers: opts.remoteWorkers }),
    transport: 'http',
    version: APP_VERSION,
    workQueue: opts.workQueue,
  });

  let boundPort = 0;
  const everyInterface = host === '0.0.0.0' || host === '::';
  const handler = createHttpHandler({
    dispatch: workbench.dispatch,
    events: workbench.events,
    token,
    rendererDir: findRendererDir(opts.rendererDir),
    allowedHosts: () =>
      everyInterface
        ? null
        : [...new Set([host, '127.0.0.1', 'localhost', '[::1]'])].map(
            (h) => `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${boundPort}`,
          ),
  });
  const server: Server = createServer(handler);
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolveListen());
    });
  } catch (error) {
    await workbench.close();
    throw new Error(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  boundPort = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${boundPort}/?token=${token}`,
    port: boundPort,
    token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await workbench.close();
    },
  };
}
