// What `npm start`, `npm run dev` and the e2e runner decide before they launch anything, as plain functions
// (tested in src-main/electron/launch-checks.test.ts; the scripts only gather the facts and act).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root from a script's import.meta.url: fileURLToPath decodes spaces, `%` and non-ASCII, and Windows drives. */
export function repoRoot(scriptUrl) {
  return dirname(dirname(fileURLToPath(scriptUrl)));
}

/** One line for a failed spawn/spawnSync: its error (ENOENT, EACCES…) or its exit status; null when it succeeded. */
export function spawnFailure(what, result) {
  if (result.error) return `${what} could not be started: ${result.error.message}`;
  if (result.status !== 0) {
    return `${what} failed (${result.signal ? `signal ${result.signal}` : `exit code ${result.status}`})`;
  }
  return null;
}

/**
 * Ubuntu ≥ 23.10 restricts unprivileged user namespaces through AppArmor; Chromium then needs its setuid sandbox
 * helper, and aborts before main runs unless chrome-sandbox is owned by root with mode 4755 (electron/electron#42510).
 * Returns the exact fix to print, or null when the sandbox can start. Never suggests --no-sandbox.
 * facts: { platform, restrictUserns: contents of /proc/sys/kernel/apparmor_restrict_unprivileged_userns or null,
 *          sandboxPath, sandboxStat: { uid, mode } of chrome-sandbox or null }
 */
export function sandboxProblem({ platform, restrictUserns, sandboxPath, sandboxStat }) {
  if (platform !== 'linux' || restrictUserns === null || restrictUserns.trim() !== '1') return null;
  if (!sandboxStat) return null; // no helper in this Electron build: nothing to fix here
  const setuidRoot = sandboxStat.uid === 0 && (sandboxStat.mode & 0o7777) === 0o4755;
  if (setuidRoot) return null;
  return [
    'This system restricts unprivileged user namespaces (AppArmor: kernel.apparmor_restrict_unprivileged_userns = 1),',
    "so Electron's sandbox needs its helper owned by root with mode 4755, and it is not:",
    `  ${sandboxPath} (owner uid ${sandboxStat.uid}, mode ${(sandboxStat.mode & 0o7777).toString(8)})`,
    'Fix it once (as an administrator), then run `npm start` again:',
    `  sudo chown root:root '${sandboxPath}' && sudo chmod 4755 '${sandboxPath}'`,
    '(See https://github.com/electron/electron/issues/42510. Or use the browser mode: `npm run serve`.)',
  ].join('\n');
}

/**
 * How to spawn an npm-installed command (npm, npx) portably: on Windows they are .cmd files, which since Node 20.12
 * spawn only through a shell.
 */
export function npmSpawn(command, args, platform = process.platform) {
  return platform === 'win32' ? { command: `${command}.cmd`, args, shell: true } : { command, args, shell: false };
}

/**
 * The desktop e2e suite needs a display: on Linux without one, it runs under `xvfb-run -a` (a virtual X server).
 * facts: { platform, display, waylandDisplay, hasXvfbRun }
 */
export function withDisplay(command, args, { platform, display, waylandDisplay, hasXvfbRun }) {
  if (platform !== 'linux' || display || waylandDisplay || !hasXvfbRun) return { command, args };
  return { command: 'xvfb-run', args: ['-a', command, ...args] };
}

/** Chromium refuses to run as root with its sandbox on; only then is --no-sandbox passed (tests on root CI). */
export function electronSandboxArgs(uid) {
  return uid === 0 ? ['--no-sandbox'] : [];
}

/** The chrome-sandbox helper beside the Electron binary. */
export function chromeSandboxPath(electronBinary) {
  return join(dirname(electronBinary), 'chrome-sandbox');
}
