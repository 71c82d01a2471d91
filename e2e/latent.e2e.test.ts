import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { decodeJson, encodeJson } from '../src-shared/contract';
import { checkLatentViews, queueLatentRuns, waitForRuns, type ApiCall } from './latent-flow';
import { startServer, type RunningServer } from '../src-main/server/server';
import { chromiumOptions } from './browser';
import { shot } from './workbench-flow';

describe('browser mode: the latent views on really trained runs', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  const call: ApiCall = async (method, input) => {
    const res = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-workbench-token': server.token },
      body: encodeJson(input),
    });
    const body = decodeJson(await res.text()) as { result?: unknown; error?: { message: string } };
    if (!res.ok) throw new Error(`${method}: ${body.error?.message ?? res.status}`);
    return body.result;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vaew-e2e-latent-'));
    server = await startServer({ dbPath: join(dir, 'latent.db'), port: 0 });
    browser = await chromium.launch(chromiumOptions());
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrubs a slider, draws two manifolds side by side, the scatter and KL-ordered traversals', async () => {
    const runs = await queueLatentRuns(call);
    await waitForRuns(call, [...runs.twoD, runs.tenD], 300_000);
    await checkLatentViews(page, server.url, runs, (name) => shot(page, name));
  });
});
