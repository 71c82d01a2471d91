import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../src-main/server/server';
import {
  badValueIsRefused,
  exportReportFromCompare,
  queueBetaSweep,
  runsTableAndCompare,
  shot,
  watchQueue,
} from './workbench-flow';
import { openBrowserSession, type BrowserSession } from './browser';

describe('browser mode: queue a β sweep, watch it train, compare', () => {
  let session: BrowserSession;
  let dir: string;
  let server: RunningServer;
  let page: Page;

  beforeAll(async () => {
    session = await openBrowserSession({ name: 'flow' });
    ({ dir, server, page } = session);
    await page.goto(server.url);
    await page.locator('button.tab[data-view="new"]').waitFor();
  });

  afterAll(() => session?.close());

  it('shows the database the workbench uses in the header', async () => {
    const db = page.locator('[data-testid="db-path"]');
    await expect.poll(() => db.getAttribute('data-path')).toBe(session.dbPath);
    expect(await db.textContent()).toContain('flow.db');
  });

  it('refuses a request without the token (401) and from a foreign Origin (403)', async () => {
    const origin = new URL(server.url).origin;
    const none = await fetch(`${origin}/api/listRuns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(401);
    const foreign = await fetch(`${origin}/api/listRuns`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-workbench-token': server.token,
        origin: 'http://localhost:9999',
      },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
    // From inside the page, a request without the token is refused the same way.
    const status = await page.evaluate(
      async () =>
        (await fetch('/api/listRuns', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
          .status,
    );
    expect(status).toBe(401);
  });

  it('shows a bad value’s message and queues nothing', async () => {
    await shot(page, 'new-experiment');
    await badValueIsRefused(page);
    const runs = await page.evaluate(async (token) => {
      const res = await fetch('/api/listRuns', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-workbench-token': token },
        body: '{}',
      });
      return ((await res.json()) as { result: unknown[] }).result.length;
    }, server.token);
    expect(runs).toBe(0);
  });

  it('queues β ∈ {0, 1, 4} from the form, shows progress, then three finished runs to compare', async () => {
    await queueBetaSweep(page, 'e2e β sweep');
    await watchQueue(page, 300_000);
    await runsTableAndCompare(page);
  });

  it('exports a report of the compared runs: HTML, PDF and CSV downloads', async () => {
    const runNames = await page.evaluate(async (token) => {
      const res = await fetch('/api/listRuns', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-workbench-token': token },
        body: '{}',
      });
      return ((await res.json()) as { result: { name: string }[] }).result.map((r) => r.name);
    }, server.token);
    expect(runNames).toHaveLength(3);
    await exportReportFromCompare(page, dir, runNames, 2);
  });

  it('says so when the server goes away', async () => {
    await server.close();
    await expect
      .poll(() => page.locator('.error-banner').textContent(), { timeout: 15_000 })
      .toContain('Lost the connection');
  });
});
