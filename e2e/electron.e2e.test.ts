import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { electronSandboxArgs } from '../scripts/launch-checks.mjs';
import { checkLatentViews, queueLatentRuns, waitForRuns, type ApiCall } from './latent-flow';
import { badValueIsRefused, queueBetaSweep, runsTableAndCompare, shot, watchQueue } from './workbench-flow';

const electronBinary = existsSync(join(process.cwd(), 'node_modules/electron/path.txt'));
const reason =
  'the Electron binary is not installed (node_modules/electron/path.txt is absent; it downloads from GitHub)';
if (!electronBinary) console.log(`desktop e2e skipped: ${reason}`);

describe.skipIf(!electronBinary)('desktop app: the same flow over IPC', () => {
  let dir: string;
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vaew-e2e-electron-'));
    const { default: electronPath } = (await import('electron')) as unknown as { default: string };
    app = await _electron.launch({
      executablePath: electronPath,
      // Chromium refuses to run as root with its sandbox (root CI); everywhere else the sandbox stays on.
      args: [...electronSandboxArgs(process.getuid?.()), 'out/main/index.js', '--db', join(dir, 'e2e.db')],
      cwd: process.cwd(),
    });
    page = await app.firstWindow();
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('button.tab[data-view="new"]').waitFor();
  });

  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exposes only the contract: no Node, no raw ipcRenderer', async () => {
    const exposed = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      bridge: Object.keys((globalThis as unknown as { workbench: object }).workbench).sort(),
    }));
    expect(exposed).toEqual({ require: 'undefined', process: 'undefined', bridge: ['call', 'on'] });
    const reply = await page.evaluate(() =>
      (globalThis as unknown as { workbench: { call(m: string, i: unknown): Promise<unknown> } }).workbench.call(
        'dropTables',
        {},
      ),
    );
    expect(reply).toMatchObject({ ok: false, error: { name: 'UnknownMethod' } });
  });

  it('shows a bad value’s message and queues nothing', async () => {
    await badValueIsRefused(page);
  });

  it('queues β ∈ {0, 1, 4}, shows progress, then three finished runs to compare', async () => {
    await queueBetaSweep(page, 'e2e β sweep (desktop)');
    await watchQueue(page, 300_000);
    await runsTableAndCompare(page);
  });

  it('shows the latent views of really trained runs', async () => {
    // Calls go through the preload's bridge, as the renderer's own do.
    const call: ApiCall = async (method, input) => {
      const reply = (await page.evaluate(
        ([m, i]) =>
          (globalThis as unknown as { workbench: { call(m: string, i: unknown): Promise<unknown> } }).workbench.call(
            m,
            i,
          ),
        [method, input] as const,
      )) as { ok: boolean; result?: unknown; error?: { message: string } };
      if (!reply.ok) throw new Error(`${method}: ${reply.error?.message}`);
      return reply.result;
    };
    const runs = await queueLatentRuns(call);
    await waitForRuns(call, [...runs.twoD, runs.tenD], 300_000);
    await checkLatentViews(page, page.url(), runs, (name) => shot(page, `desktop-${name}`));
  });
});
