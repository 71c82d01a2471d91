import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MethodInput, MethodName, MethodOutput } from '../src-shared/api';
import { startServer, type RunningServer, type ServerOptions } from '../src-main/server/server';
import { chromiumOptions } from '../src-main/testing/chromium';

/** A browser-mode workbench on a fresh database in a temporary folder, and a Chromium page for it. */
export interface BrowserSession {
  dir: string;
  dbPath: string;
  server: RunningServer;
  browser: Browser;
  page: Page;
  /** Closes the browser and the server and removes the folder; safe after the test closed the server itself. */
  close(): Promise<void>;
}

export async function openBrowserSession(options: {
  name: string;
  /** Fills the database before the server opens it. */
  prepare?: (dbPath: string) => void;
  spawn?: ServerOptions['spawn'];
}): Promise<BrowserSession> {
  const dir = mkdtempSync(join(tmpdir(), `vaew-e2e-${options.name}-`));
  const dbPath = join(dir, `${options.name}.db`);
  options.prepare?.(dbPath);
  const server = await startServer({ dbPath, port: 0, spawn: options.spawn });
  const browser = await chromium.launch(chromiumOptions());
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  return {
    dir,
    dbPath,
    server,
    browser,
    page,
    close: async () => {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Calls a contract method from inside the page, as the window does over HTTP with the page's token (JSON without the
 * contract's NaN and byte tags: enough for the listings the flows read). Throws with the server's message on refusal.
 */
export async function callFromPage<M extends MethodName>(
  page: Page,
  token: string,
  method: M,
  input: MethodInput<M>,
): Promise<MethodOutput<M>> {
  const reply = await page.evaluate(
    async ([m, i, t]) => {
      const res = await fetch(`/api/${m}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-workbench-token': t },
        body: JSON.stringify(i),
      });
      return (await res.json()) as { result?: unknown; error?: { name: string; message: string } };
    },
    [method, input, token] as const,
  );
  if (reply.error) throw new Error(`${method}: ${reply.error.name}: ${reply.error.message}`);
  return reply.result as MethodOutput<M>;
}

/** Opens the window on the New experiment view and waits until it is drawn. */
export async function openWindow(session: BrowserSession): Promise<void> {
  await session.page.goto(session.server.url);
  await session.page.locator('button.tab[data-view="new"]').waitFor();
}
