import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from '../../src-shared/contract';
import { syntheticTraining } from '../testing/synthetic-runs';
import { startServer, type RunningServer } from './server';
import { entriesFromRunList, type RunList } from '../../src-shared/run-list';

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(
  server: RunningServer,
  path: string,
  opts: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'POST', headers: opts.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function call(
  server: RunningServer,
  method: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return send(server, `/api/${method}`, {
    body: encodeJson(input),
    headers: { 'content-type': 'application/json', 'x-workbench-token': server.token, ...headers },
  });
}

describe('browser-mode server', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vaew-server-'));
    server = await startServer({
      dbPath: join(dir, 'test.db'),
      port: 0,
      spawn: () => syntheticTraining({ epochMs: 40 }),
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a loopback URL carrying its token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses an API request without the token, or with a wrong one (401)', async () => {
    const none = await send(server, '/api/getInfo', { body: '{}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error.name).toBe('Unauthorized');
    const wrong = await call(server, 'getInfo', {}, { 'x-workbench-token': 'f'.repeat(48) });
    expect(wrong.status).toBe(401);
    const events = await send(server, '/api/events', { method: 'GET' });
    expect(events.status).toBe(401);
  });

  it('refuses a foreign Origin (403) even with the token', async () => {
    const reply = await call(server, 'getInfo', {}, { origin: 'http://evil.example' });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body).error.message).toContain('http://evil.example');
    const same = await call(server, 'getInfo', {}, { origin: `http://127.0.0.1:${server.port}` });
    expect(same.status).toBe(200);
  });

  it('refuses a Host that is not this server (DNS rebinding)', async () => {
    const reply = await call(server, 'getInfo', {}, { host: `attacker.example:${server.port}` });
    expect(reply.status).toBe(403);
  });

  it('refuses a body that is not JSON by content type (415) and an unknown method (404)', async () => {
    const form = await send(server, '/api/getInfo', {
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-workbench-token': server.token },
    });
    expect(form.status).toBe(415);
    const unknown = await call(server, 'dropTables', {});
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.name).toBe('UnknownMethod');
  });

  it('answers a body over the limit with a 413 the client reads, with or without a declared length', async () => {
    const huge = encodeJson({ experimentName: 'x'.repeat(3 << 20) });
    const headers = { 'content-type': 'application/json', 'x-workbench-token': server.token };
    const declared = await send(server, '/api/queueSweep', {
      body: huge,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(huge)), expect: '100-continue' },
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error).toMatchObject({ name: 'PayloadTooLarge' });
    const chunked = await send(server, '/api/queueSweep', {
      body: huge,
      headers: { ...headers, 'transfer-encoding': 'chunked' },
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.message).toMatch(/over 1048576 bytes/);
    // Nothing was queued, and the server still answers.
    const runs = await call(server, 'listRuns', {});
    expect(JSON.parse(runs.body).result.count).toBe(0);
  });

  it('validates input before acting: a bad β names the field and value, and queues nothing', async () => {
    const reply = await call(server, 'queueSweep', { experimentName: 'bad', sweep: { base: { beta: -1 }, axes: {} } });
    expect(reply.status).toBe(400);
    const error = JSON.parse(reply.body).error;
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain('beta = -1');
    const extra = await call(server, 'getRun', { runId: 1, drop: true });
    expect(extra.status).toBe(400);
    expect(JSON.parse(extra.body).error.message).toMatch(/drop/);
    const runs = await call(server, 'listRuns', {});
    expect(JSON.parse(runs.body).result.count).toBe(0);
  });

  it('queues a β sweep, trains it (synthetic) and streams events', async () => {
    const seen: string[] = [];
    const stream = new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: server.port, path: `/api/events?token=${server.token}`, method: 'GET' },
        (res) => {
          expect(res.headers['content-type']).toBe('text/event-stream');
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            for (const m of chunk.matchAll(/^event: (\w+)$/gm)) seen.push(m[1]);
            if (seen.includes('onRunProgress') && seen.includes('onRunChanged')) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', (e) => (seen.length > 0 ? resolve() : reject(e)));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 50));
    const reply = await call(server, 'queueSweep', {
      experimentName: 'beta sweep',
      sweep: { base: { epochs: 2, trainSubset: 500, testSubset: 200 }, axes: { beta: [0, 1, 4] } },
    });
    expect(reply.status).toBe(200);
    const queued = JSON.parse(reply.body).result as { runIds: number[] };
    expect(queued.runIds).toHaveLength(3);
    await stream;
    expect(seen).toContain('onQueueChanged');

    const deadline = Date.now() + 10_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      const runs = decodeJson((await call(server, 'listRuns', {})).body) as { result: RunList };
      statuses = entriesFromRunList(runs.result).map((r) => r.status);
      if (statuses.every((s) => s === 'finished')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(statuses).toEqual(['finished', 'finished', 'finished']);
    const metrics = decodeJson((await call(server, 'getEpochMetrics', { runIds: queued.runIds })).body) as {
      result: unknown[];
    };
    expect(metrics.result).toHaveLength(3 * 2 * 2);
    const images = decodeJson((await call(server, 'getEpochImages', { runId: queued.runIds[0], epoch: 2 })).body) as {
      result: { width: number; inputs: Uint8Array[] };
    };
    expect(images.result.width).toBe(28);
    expect(images.result.inputs[0]).toBeInstanceOf(Uint8Array);
    expect(images.result.inputs[0]).toHaveLength(28 * 28);
    const info = decodeJson((await call(server, 'getInfo', {})).body) as { result: { backend: { name: string } } };
    expect(info.result.backend.name).toBe('synthetic');
  });

  it('reports a state conflict rather than acting: moving a run that is not queued', async () => {
    const reply = await call(server, 'moveRun', { runId: 1, toIndex: 0 });
    expect(reply.status).toBe(409);
    expect(JSON.parse(reply.body).error.message).toContain('run 1');
  });

  it('serves no file outside the renderer and answers unbuilt UI with a hint', async () => {
    const traversal = await send(server, '/..%2f..%2fpackage.json', { method: 'GET' });
    expect([404, 503]).toContain(traversal.status);
    expect(traversal.body).not.toContain('"dependencies"');
  });
});

describe('JSON that keeps NaN', () => {
  it('round-trips NaN and ±Infinity', () => {
    const value = { a: Number.NaN, b: [Number.POSITIVE_INFINITY, -Infinity, 1.5], c: null };
    const back = decodeJson(encodeJson(value)) as typeof value;
    expect(back.a).toBeNaN();
    expect(back.b).toEqual([Infinity, -Infinity, 1.5]);
    expect(back.c).toBeNull();
  });
});
