import { app, BrowserWindow, ipcMain, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BridgeReply } from '../../src-shared/api';
import { errorData } from '../api/errors';
import { openWorkbench, type Workbench } from '../workbench/workbench';
import { APP_VERSION } from '../version';
import { resolveDbPath } from '../paths';
import { builtEntry } from '../child/fork';
import type { FromLatent, ToLatent } from '../latent/protocol';
import type { FromWorker, ToWorker } from '../training/protocol';
import { CALL_CHANNEL, EVENT_CHANNEL_PREFIX } from './channels';
import { utilityChild } from './utility-process';

/** --db PATH (or --db=PATH) from the command line; Electron passes its own flags too, so look for ours only. */
function dbFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--db') return argv[i + 1];
    if (argv[i].startsWith('--db=')) return argv[i].slice('--db='.length);
  }
  return undefined;
}

const rendererIndex = join(__dirname, '../renderer/index.html');
const devServerUrl = process.env.ELECTRON_RENDERER_URL;

/** Only our own page may call main: the built index.html, or the dev server while developing. */
function isOwnPage(url: string | undefined): boolean {
  if (!url) return false;
  if (devServerUrl && url.startsWith(devServerUrl)) return true;
  return url.split('#')[0].split('?')[0] === pathToFileURL(rendererIndex).href;
}

let workbench: Workbench | null = null;
let window: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'VAE Workbench',
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  // Links open in the system browser; the window itself never navigates away from the app.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https:')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isOwnPage(url)) event.preventDefault();
  });
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererIndex);
  return win;
}

function forward(contents: WebContents, wb: Workbench): () => void {
  return wb.events.onAny((event, payload) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL_PREFIX + event, payload);
  });
}

async function start(): Promise<void> {
  await app.whenReady();
  // No permission (camera, notifications, …) is ever needed.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  const dbPath = resolveDbPath(dbFlag(process.argv));
  const workerPath = builtEntry('training-worker');
  const wb = openWorkbench({
    dbPath,
    spawn: () => utilityChild<ToWorker, FromWorker>(workerPath, [], 'VAE Workbench training'),
    // Found on first use: the latent views start their process only when opened.
    spawnLatent: (path) =>
      utilityChild<ToLatent, FromLatent>(builtEntry('latent-worker'), [path], 'VAE Workbench latent'),
    transport: 'ipc',
    version: APP_VERSION,
  });
  workbench = wb;

  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown): Promise<BridgeReply> => {
    // Refuse calls from any other window or frame (an iframe, a navigated-away page).
    if (
      !window ||
      event.sender !== window.webContents ||
      event.senderFrame !== window.webContents.mainFrame ||
      !isOwnPage(event.senderFrame?.url)
    ) {
      return { ok: false, error: { name: 'Forbidden', message: 'calls are accepted only from the workbench window' } };
    }
    try {
      // The dispatcher refuses a name outside the contract and validates the input, as for HTTP.
      return { ok: true, result: await wb.dispatch(method, input) };
    } catch (error) {
      return { ok: false, error: errorData(error) };
    }
  });

  window = createWindow();
  const stopForwarding = forward(window.webContents, wb);
  window.on('closed', () => {
    stopForwarding();
    window = null;
  });
}

app.on('window-all-closed', () => app.quit());

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !workbench) return;
  // The run in training is stopped cleanly (it becomes interrupted, resumable) before the store closes.
  event.preventDefault();
  quitting = true;
  void workbench.close().finally(() => app.quit());
});

start().catch((error: Error) => {
  console.error(`VAE Workbench could not start: ${error.message}`);
  app.exit(1);
});
