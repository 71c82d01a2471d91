import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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
