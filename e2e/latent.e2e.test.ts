import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Page } from 'playwright-core';
import { decodeJson, encodeJson } from '../src-shared/contract';
import { checkLatentViews, queueLatentRuns, waitForRuns, type ApiCall } from './latent-flow';
import type { RunningServer } from '../src-main/server/server';
import { openBrowserSession, type BrowserSession } from './browser';
import { shot } from './workbench-flow';

describe('browser mode: the latent views on really trained runs', () => {
  let session: BrowserSession;
  let server: RunningServer;
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
    session = await openBrowserSession({ name: 'latent' });
    ({ server, page } = session);
  });

  afterAll(() => session?.close());

  it('scrubs a slider, draws two manifolds side by side, the scatter and KL-ordered traversals', async () => {
    const runs = await queueLatentRuns(call);
    await waitForRuns(call, [...runs.twoD, runs.tenD], 300_000);
    await checkLatentViews(page, server.url, runs, (name) => shot(page, name));
  });
});
