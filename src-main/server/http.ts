import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { ApiErrorData } from '../../src-shared/api';
import { decodeJson, encodeJson } from '../../src-shared/contract';
import type { Dispatch } from '../api/dispatcher';
import { errorData } from '../api/errors';
import type { EventHub } from '../api/events';
import { rendererCspHeader } from '../../src-shared/csp';

export interface HttpHandlerOptions {
  dispatch: Dispatch;
  events: EventHub;
  token: string;
  /** The built renderer (out/renderer); null serves a page saying how to build it. */
  rendererDir: string | null;
  /** Host header values this server answers to (DNS-rebinding guard); null accepts any (bound to all interfaces). */
  allowedHosts: () => string[] | null;
}

const MAX_BODY_BYTES = 1 << 20;
const TOKEN_HEADER = 'x-workbench-token';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The renderer's own CSP (src-shared/csp.ts); the token sits in the page URL, so no Referer may carry it away. */
const securityHeaders = {
  'content-security-policy': rendererCspHeader,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const statusFor: Record<string, number> = {
  ValidationError: 400,
  ConfigError: 400,
  DatasetError: 400,
  DatasetIdError: 400,
  StateError: 409,
  NotFound: 404,
  UnknownMethod: 404,
  Unauthorized: 401,
  Forbidden: 403,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  MethodNotAllowed: 405,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = encodeJson(body);
  res.writeHead(status, {
    ...securityHeaders,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiErrorData): void {
  // After a refused body the connection is not reused: the rest of that body may still be arriving.
  if (error.name === 'PayloadTooLarge') res.setHeader('connection', 'close');
  sendJson(res, statusFor[error.name] ?? 500, { error });
}

function tokensMatch(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A body this much over the limit is no longer read to the end: the connection is cut after the 413 is sent. */
const MAX_DISCARDED_BYTES = 64 << 20;

function tooLarge(): Error {
  return Object.assign(new Error(`request body is over ${MAX_BODY_BYTES} bytes`), { name: 'PayloadTooLarge' });
}

/**
 * The request body as text. Over the limit it rejects with PayloadTooLarge and reads the rest without keeping it,
 * so the client, still sending, gets to read the 413 instead of a reset connection.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = (): void => {
      refused = true;
      chunks.length = 0;
      reject(tooLarge());
    };
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) refuse();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (refused) {
        if (size > MAX_DISCARDED_BYTES) req.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) return refuse();
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolveBody(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      if (!refused) reject(error);
    });
  });
}

/**
 * The browser-mode request handler: the API (POST /api/<method>, GET /api/events as server-sent events) behind
 * the per-launch token and a same-origin check, and the built renderer as static files.
 */
export function createHttpHandler(opts: HttpHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const rendererRoot = opts.rendererDir ? resolve(opts.rendererDir) : null;

  const guard = (req: IncomingMessage, url: URL): ApiErrorData | null => {
    const hosts = opts.allowedHosts();
    const host = req.headers.host ?? '';
    if (hosts !== null && !hosts.includes(host)) {
      return { name: 'Forbidden', message: `Host "${host}" is not this workbench (expected ${hosts.join(' or ')})` };
    }
    const origin = req.headers.origin;
    // Browsers send Origin on cross-origin requests and on every POST; it must be this server itself.
    if (origin !== undefined && origin !== `http://${host}`) {
      return { name: 'Forbidden', message: `Origin "${origin}" may not use this workbench; only http://${host} may` };
    }
    const header = req.headers[TOKEN_HEADER];
    const given = typeof header === 'string' ? header : url.searchParams.get('token');
    if (!tokensMatch(given, opts.token)) {
      return {
        name: 'Unauthorized',
        message: 'missing or wrong token: open the URL printed by `vae-workbench serve` (it ends in ?token=…)',
      };
    }
    return null;
  };

  const serveEvents = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    const off = opts.events.onAny((event, payload) => {
      res.write(`event: ${event}\ndata: ${encodeJson(payload)}\n\n`);
    });
    // A comment now and then keeps proxies from closing an idle stream.
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      off();
    });
  };

  const serveApi = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const refused = guard(req, url);
    if (refused) return sendError(res, refused);
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return sendError(res, { name: 'MethodNotAllowed', message: '/api/events takes GET' });
      return serveEvents(req, res);
    }
    if (req.method !== 'POST')
      return sendError(res, { name: 'MethodNotAllowed', message: `${url.pathname} takes POST with a JSON body` });
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) {
      return sendError(res, {
        name: 'UnsupportedMediaType',
        message: `content-type "${type}" is not allowed; send application/json`,
      });
    }
    const method = url.pathname.slice('/api/'.length);
    try {
      const text = await readBody(req);
      let input: unknown;
      try {
        input = text.trim() === '' ? {} : decodeJson(text);
      } catch {
        return sendError(res, { name: 'ValidationError', message: `${method}: the request body is not valid JSON` });
      }
      const result = await opts.dispatch(method, input);
      sendJson(res, 200, { result: result === undefined ? null : result });
    } catch (error) {
      sendError(res, errorData(error));
    }
  };

  const serveStatic = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, securityHeaders).end();
      return;
    }
    if (!rendererRoot || !existsSync(join(rendererRoot, 'index.html'))) {
      res.writeHead(503, { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' });
      res.end('The workbench UI is not built: run `npm run build`, then start the server again.\n');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, securityHeaders).end();
      return;
    }
    if (path === '/' || path === '') path = '/index.html';
    const file = normalize(join(rendererRoot, path));
    if (!file.startsWith(rendererRoot + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res
        .writeHead(404, { ...securityHeaders, 'content-type': 'text/plain; charset=utf-8' })
        .end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, {
      ...securityHeaders,
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      // Built assets carry a content hash in their names; index.html does not.
      'cache-control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=31536000, immutable',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };

  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      void serveApi(req, res, url);
    } else {
      serveStatic(req, res, url);
    }
  };
}
