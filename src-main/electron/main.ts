// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { app, BrowserWindow, dialog, ipcMain, session, shell, type WebContents } from 'electron';
import { join } from 'node:path';
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
import { appIconPath, dbFlag, desktopBackendFlags, isOwnPage, startFailureMessage, timeBox } from './lifecycle';
import { isInstalled, latentPreferenceInApp, routedTraining } from './training-route';
import { latentArgs } from '../latent/fork';
import { openTrainingWindow, probeWindowGpu } from './training-window';
import type { WindowGpuReport } from '../training/window-backend';
import { desktopCoordinator } from '../remote/cli';
import { allowSoftwareGpuEnvVar, backendEnvVar } from '../training/backend-order';

const rendererIndex = join(__dirname, '../renderer/index.html');
const devServerUrl = process.env.ELECTRON_RENDERER_URL;
/** Quitting waits this long for the run in training to stop cleanly, then exits anyway. */
const QUIT_TIMEOUT_MS = 10_000;

/** Only our own page may call main: the built index.html, or the dev server while developing. */
const ownPage = (url: string | undefined): boolean => isOwnPage(url, rendererIndex, devServerUrl);

let workbench: Workbench | null = null;
let window: BrowserWindow | null = null;
let dbPath: string | null = null;
/** With --redis URL the app is a coordinator, as `serve --redis URL` is: workers train its runs. */
let coordinator: ReturnType<typeof desktopCoordinator> = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'VAE Workbench',
    icon: appIconPath(__dirname),
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
  // The page then says the bridge is missing; the reason is printed here, where the terminal shows it.
  win.webContents.on('preload-error', (_event, preloadPath, error) => {
    console.error(`VAE Workbench: the preload script ${preloadPath} failed: ${error.message}`);
  });
  // Links open in the system browser; the window itself never navigates away from the app.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https:')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!ownPage(url)) event.preventDefault();
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

  // Started from a desktop launcher the working directory is / or the install folder: the store lives with the
  // user's data unless --db or VAE_WORKBENCH_DB says otherwise. The window shows the path (getInfo's dbPath).
  dbPath = resolveDbPath(dbFlag(process.argv), app.getPath('userData'));
  const workerPath = builtEntry('training-worker');
  // Asked once, when the first run with backend auto starts: the answer does not change while the app runs.
  let windowGpu: Promise<WindowGpuReport> | null = null;
  coordinator = desktopCoordinator(process.argv);
  const startup = desktopBackendFlags(process.argv);
  if (startup.backend !== null) process.env[backendEnvVar] = startup.backend;
  if (startup.allowSoftwareGpu) process.env[allowSoftwareGpuEnvVar] = '1';
  const wb = openWorkbench({
    dbPath,
    // webgpu runs train in a hidden window on Chromium's WebGPU (Dawn cannot run inside Electron); others in a process.
    spawn: routedTraining({
      spawnProcess: () => utilityChild<ToWorker, FromWorker>(workerPath, [], 'VAE Workbench training'),
      spawnWindow: () => openTrainingWindow(__dirname),
      probeWindowGpu: () => (windowGpu ??= probeWindowGpu(__dirname)),
      nativeGpuInstalled: () => isInstalled('@tensorflow/tfjs-node-gpu'),
    }),
    // Found on first use: the latent views start their process only when opened.
    spawnLatent: (path, backend) =>
      utilityChild<ToLatent, FromLatent>(
        builtEntry('latent-worker'),
        latentArgs(path, latentPreferenceInApp(backend)),
        'VAE Workbench latent',
      ),
    ...coordinator?.options,
    backend: startup.backend,
    transport: 'ipc',
    version: APP_VERSION,
    // One folder for the three report files, asked from main: the page's downloads would open three save dialogs.
    chooseFolder: async (title) => {
      const options = {
        title,
        properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[],
      };
      const chosen = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      return chosen.canceled || chosen.filePaths.length === 0 ? null : chosen.filePaths[0];
    },
  });
  workbench = wb;

  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, input: unknown): Promise<BridgeReply> => {
    // Refuse calls from any other window or frame (an iframe, a navigated-away page).
    if (
      !window ||
      event.sender !== window.webContents ||
      event.senderFrame !== window.webContents.mainFrame ||
      !ownPage(event.senderFrame?.url)
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
    // A hidden WebGPU window may still be training: it must not keep the app open once the workbench window is gone.
    app.quit();
  });
}

// One workbench per user: a second launch would start a second queue runner on the same database.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !workbench) return;
    // The run in training is stopped cleanly (it becomes interrupted, resumable) before the store closes, but a
    // child that never answers does not keep the app open: after the limit it exits anyway.
    event.preventDefault();
    quitting = true;
    const closing = workbench.close().then(() => coordinator?.close());
    void timeBox(closing, QUIT_TIMEOUT_MS).then((outcome) => {
      if (outcome === 'timed-out')
        console.error(`VAE Workbench: closing took over ${QUIT_TIMEOUT_MS / 1000} s; exiting`);
      app.exit(0);
    });
  });

  start().catch((error: unknown) => {
    const message = startFailureMessage(error, dbPath);
    console.error(`VAE Workbench could not start: ${message}`);
    // Started from a desktop launcher there is no terminal: the error box is the only place it can be read.
    dialog.showErrorBox('VAE Workbench could not start', message);
    app.exit(1);
  });
}
