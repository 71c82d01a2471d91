import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import {
  appIconPath,
  dbFlag,
  desktopBackendFlags,
  isOwnPage,
  isRendererPage,
  startFailureMessage,
  timeBox,
} from './lifecycle';
import { resolveDbPath } from '../paths';

describe('the IPC sender check', () => {
  it('accepts the renderer page however Chromium spells its URL, on POSIX', () => {
    const index = '/home/ana/my experiments/vaé/out/renderer/index.html';
    expect(isRendererPage(pathToFileURL(index).href, index, 'linux')).toBe(true);
    expect(isRendererPage(`${pathToFileURL(index).href}#/runs?x=1`, index, 'linux')).toBe(true);
    // Chromium's spelling: a space and é encoded, an extra dot segment.
    expect(
      isRendererPage('file:///home/ana/my%20experiments/va%C3%A9/out/main/../renderer/index.html', index, 'linux'),
    ).toBe(true);
    // POSIX paths are case-sensitive: another file.
    expect(isRendererPage('file:///home/ana/my%20experiments/va%C3%A9/out/renderer/INDEX.html', index, 'linux')).toBe(
      false,
    );
  });

  it('on Windows compares paths case-insensitively, so an upper-cased drive letter or a % in the path passes', () => {
    const index = 'c:\\Users\\Ana\\100% vae\\out\\renderer\\index.html';
    expect(isRendererPage('file:///C:/Users/Ana/100%25%20vae/out/renderer/index.html', index, 'win32')).toBe(true);
    expect(isRendererPage('file:///C:/USERS/ana/100%25%20VAE/out/renderer/index.html', index, 'win32')).toBe(true);
    expect(isRendererPage('file:///D:/Users/Ana/100%25%20vae/out/renderer/index.html', index, 'win32')).toBe(false);
  });

  it('refuses other pages, other schemes and hosts, and no URL', () => {
    const index = '/app/out/renderer/index.html';
    expect(isRendererPage('file:///app/out/renderer/other.html', index, 'linux')).toBe(false);
    expect(isRendererPage('https://example.org/app/out/renderer/index.html', index, 'linux')).toBe(false);
    expect(isRendererPage('file://evil.example/app/out/renderer/index.html', index, 'linux')).toBe(false);
    expect(isRendererPage('not a url', index, 'linux')).toBe(false);
    expect(isRendererPage(undefined, index, 'linux')).toBe(false);
    expect(isRendererPage('', index, 'linux')).toBe(false);
  });

  it('while developing accepts only the dev server origin', () => {
    const index = '/app/out/renderer/index.html';
    expect(isOwnPage('http://localhost:5173/#/runs', index, 'http://localhost:5173/')).toBe(true);
    expect(isOwnPage('http://localhost:5173.evil.example/', index, 'http://localhost:5173')).toBe(false);
  });
});

describe('the desktop database and start-up', () => {
  it('reads --db PATH and --db=PATH among Electron flags', () => {
    expect(dbFlag(['electron', '.', '--no-sandbox', '--db', 'a.db'])).toBe('a.db');
    expect(dbFlag(['electron', '--db=b.db'])).toBe('b.db');
    expect(dbFlag(['electron', '.'])).toBeUndefined();
  });

  it('reads --backend and --allow-software-gpu as the CLI does, and refuses a name that is not a backend', () => {
    expect(desktopBackendFlags(['electron', '.', '--backend', 'wasm'])).toEqual({
      backend: 'wasm',
      allowSoftwareGpu: false,
    });
    expect(desktopBackendFlags(['electron', '--backend=webgpu', '--allow-software-gpu'])).toEqual({
      backend: 'webgpu',
      allowSoftwareGpu: true,
    });
    expect(desktopBackendFlags(['electron', '.'])).toEqual({ backend: null, allowSoftwareGpu: false });
    expect(() => desktopBackendFlags(['electron', '--backend', 'cuda'])).toThrow(/--backend = 'cuda' is not a backend/);
  });

  it('defaults the database to the user-data folder, unless --db or VAE_WORKBENCH_DB names one', () => {
    vi.stubEnv('VAE_WORKBENCH_DB', '');
    expect(resolveDbPath(undefined, '/home/ana/.config/vae-workbench')).toBe(
      '/home/ana/.config/vae-workbench/experiments.db',
    );
    expect(resolveDbPath('/data/runs.db', '/home/ana/.config/vae-workbench')).toBe('/data/runs.db');
    vi.stubEnv('VAE_WORKBENCH_DB', '/data/env.db');
    expect(resolveDbPath(undefined, '/home/ana/.config/vae-workbench')).toBe('/data/env.db');
    vi.unstubAllEnvs();
  });

  it('says why the app could not start, the database, and what to try', () => {
    const message = startFailureMessage(new Error('database /x.db has schema version 9'), '/x.db');
    expect(message).toContain('schema version 9');
    expect(message).toContain('Database: /x.db');
    expect(message).toContain('--db PATH');
  });
});

describe('timeBox', () => {
  it('says done when the work finishes (or fails) in time, timed-out when it never does', async () => {
    expect(await timeBox(Promise.resolve(), 1000)).toBe('done');
    expect(await timeBox(Promise.reject(new Error('x')), 1000)).toBe('done');
    vi.useFakeTimers();
    const never = timeBox(new Promise(() => undefined), 10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await never).toBe('timed-out');
    vi.useRealTimers();
  });
});

describe('the app icon', () => {
  it('is a square PNG in resources/, where the built main bundle looks for it', () => {
    const icon = PNG.sync.read(readFileSync(appIconPath(join(process.cwd(), 'out/main'))));
    expect(icon.width).toBe(icon.height);
    expect(icon.width).toBeGreaterThanOrEqual(256);
  });
});
