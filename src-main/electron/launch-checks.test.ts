import { describe, expect, it } from 'vitest';
import {
  chromeSandboxPath,
  electronSandboxArgs,
  npmSpawn,
  repoRoot,
  sandboxProblem,
  spawnFailure,
  withDisplay,
} from '../../scripts/launch-checks.mjs';

describe('npm start / npm run dev checks', () => {
  it('finds the repository root from a script URL with spaces, % and non-ASCII characters', () => {
    expect(repoRoot('file:///home/ana/my%20vae%25%20runs/%C3%A9t%C3%A9/scripts/start.mjs')).toBe(
      '/home/ana/my vae% runs/été',
    );
  });

  it('says why a spawn failed: its error or its exit status', () => {
    const enoent = Object.assign(new Error('spawnSync /x/node ENOENT'), { code: 'ENOENT' });
    expect(spawnFailure('The build', { error: enoent, status: null })).toBe(
      'The build could not be started: spawnSync /x/node ENOENT',
    );
    expect(spawnFailure('The build', { status: 2, signal: null })).toBe('The build failed (exit code 2)');
    expect(spawnFailure('The build', { status: null, signal: 'SIGKILL' })).toBe('The build failed (signal SIGKILL)');
    expect(spawnFailure('The build', { status: 0, signal: null })).toBeNull();
  });

  it('detects the AppArmor user-namespace restriction with a helper that is not setuid root, and prints the fix', () => {
    const sandboxPath = chromeSandboxPath('/repo/node_modules/electron/dist/electron');
    expect(sandboxPath).toBe('/repo/node_modules/electron/dist/chrome-sandbox');
    const message = sandboxProblem({
      platform: 'linux',
      restrictUserns: '1\n',
      sandboxPath,
      sandboxStat: { uid: 1000, mode: 0o100755 },
    });
    expect(message).toContain(`sudo chown root:root '${sandboxPath}' && sudo chmod 4755 '${sandboxPath}'`);
    expect(message).toContain('mode 755');
    expect(message).toContain('electron/electron/issues/42510');
    expect(message).not.toContain('--no-sandbox');
  });

  it('stays quiet when the sandbox can start', () => {
    const sandboxPath = '/repo/node_modules/electron/dist/chrome-sandbox';
    const facts = { platform: 'linux' as const, restrictUserns: '1\n', sandboxPath };
    expect(sandboxProblem({ ...facts, sandboxStat: { uid: 0, mode: 0o104755 } })).toBeNull();
    expect(sandboxProblem({ ...facts, restrictUserns: '0\n', sandboxStat: { uid: 1000, mode: 0o100755 } })).toBeNull();
    expect(sandboxProblem({ ...facts, restrictUserns: null, sandboxStat: { uid: 1000, mode: 0o100755 } })).toBeNull();
    expect(sandboxProblem({ ...facts, platform: 'darwin', sandboxStat: { uid: 1000, mode: 0o100755 } })).toBeNull();
    // root-owned but not setuid is still refused by Chromium.
    expect(sandboxProblem({ ...facts, sandboxStat: { uid: 0, mode: 0o100755 } })).toContain('chmod 4755');
  });
});

describe('e2e runner', () => {
  it('spawns npm and npx through a shell as .cmd on Windows only', () => {
    expect(npmSpawn('npx', ['vitest'], 'win32')).toEqual({ command: 'npx.cmd', args: ['vitest'], shell: true });
    expect(npmSpawn('npx', ['vitest'], 'linux')).toEqual({ command: 'npx', args: ['vitest'], shell: false });
  });

  it('runs under xvfb-run on Linux without a display, and only then', () => {
    const facts = { platform: 'linux' as const, hasXvfbRun: true };
    expect(withDisplay('npx', ['vitest'], facts)).toEqual({ command: 'xvfb-run', args: ['-a', 'npx', 'vitest'] });
    expect(withDisplay('npx', ['vitest'], { ...facts, display: ':0' })).toEqual({ command: 'npx', args: ['vitest'] });
    expect(withDisplay('npx', ['vitest'], { ...facts, waylandDisplay: 'wayland-0' }).command).toBe('npx');
    expect(withDisplay('npx', ['vitest'], { ...facts, platform: 'win32' }).command).toBe('npx');
  });

  it('passes --no-sandbox to Electron only as root', () => {
    expect(electronSandboxArgs(0)).toEqual(['--no-sandbox']);
    expect(electronSandboxArgs(1000)).toEqual([]);
    expect(electronSandboxArgs(undefined)).toEqual([]);
  });
});
