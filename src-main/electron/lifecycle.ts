import { parseBackendChoice } from '../../src-shared/backends';
import { relative, resolve, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The desktop app's decisions that do not need Electron to be made, kept apart from main.ts (which imports
 * `electron`, absent in tests) so they are tested here.
 */

/** --db PATH (or --db=PATH) from the command line; Electron passes its own flags too, so look for ours only. */
export function dbFlag(argv: readonly string[]): string | undefined {
  return flagValue(argv, 'db');
}

function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return undefined;
}

/**
 * The desktop app's --backend NAME and --allow-software-gpu, as the CLI's run and serve take them: for this session
 * they win over the saved setting (they are put in the environment the training and latent processes inherit, which
 * is where workbench/backend-setting.ts reads them). A name that is not a backend is refused, naming it.
 */
export function desktopBackendFlags(argv: readonly string[]): { backend: string | null; allowSoftwareGpu: boolean } {
  const raw = flagValue(argv, 'backend');
  if (raw !== undefined) parseBackendChoice(raw, '--backend');
  return { backend: raw ?? null, allowSoftwareGpu: argv.includes('--allow-software-gpu') };
}

/**
 * Whether a page URL is the built renderer page. URLs are compared as the files they name, not as strings:
 * Chromium upper-cases a Windows drive letter and may encode `%`, spaces or non-ASCII characters differently from
 * pathToFileURL, and Windows paths are case-insensitive.
 */
export function isRendererPage(
  url: string | undefined,
  rendererIndex: string,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'file:' || (parsed.host !== '' && parsed.host !== 'localhost')) return false;
  parsed.hash = '';
  parsed.search = '';
  let page: string;
  try {
    page = fileURLToPath(parsed, { windows: platform === 'win32' });
  } catch {
    return false;
  }
  if (platform === 'win32') {
    const a = win32.resolve(page);
    const b = win32.resolve(rendererIndex);
    return a.toLowerCase() === b.toLowerCase();
  }
  return relative(resolve(page), resolve(rendererIndex)) === '';
}

/** Whether a page belongs to the app: the built renderer, or the dev server's origin while developing. */
export function isOwnPage(url: string | undefined, rendererIndex: string, devServerUrl?: string): boolean {
  if (!url) return false;
  if (devServerUrl) {
    try {
      return new URL(url).origin === new URL(devServerUrl).origin;
    } catch {
      return false;
    }
  }
  return isRendererPage(url, rendererIndex);
}

/**
 * Settles when `work` does or after `ms`, whichever comes first, saying which. Quitting must not hang on a child
 * that never started or never answers: after the limit the app exits anyway (the run is then found `running` without
 * a process at the next start and becomes interrupted, resumable).
 */
export async function timeBox(work: Promise<unknown>, ms: number): Promise<'done' | 'timed-out'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timed-out'>((resolveLimit) => {
    timer = setTimeout(() => resolveLimit('timed-out'), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      limit,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The window's icon, resources/icon.png, from the folder of the built main bundle (out/main). */
export function appIconPath(mainBundleDir: string): string {
  return resolve(mainBundleDir, '../../resources/icon.png');
}

/** The line shown in the error box when the desktop app cannot start, with what to try. */
export function startFailureMessage(error: unknown, dbPath: string | null): string {
  const message = error instanceof Error ? error.message : String(error);
  const where = dbPath ? `\n\nDatabase: ${dbPath}` : '';
  return (
    `${message}${where}\n\n` +
    'Start it with another database with --db PATH (or VAE_WORKBENCH_DB), or run `npx vae-workbench serve` ' +
    'to use the workbench in a browser.'
  );
}
