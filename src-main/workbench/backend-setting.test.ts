import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BackendPreference } from '../../src-shared/backends';
import type { WorkbenchInfo } from '../../src-shared/api';
import type { LatentProcess } from '../latent/service';
import type { FromLatent, ToLatent } from '../latent/protocol';
import { syntheticTraining } from '../testing/synthetic-runs';
import { backendSetting } from './backend-setting';
import { openWorkbench, type Workbench } from './workbench';

function fakeRunner(initial: BackendPreference = { backend: 'auto', allowSoftwareGpu: false }) {
  let preference = initial;
  return {
    get backendPreference() {
      return preference;
    },
    setBackendPreference: vi.fn((p: BackendPreference) => void (preference = p)),
  };
}

describe('the backend preference in force', () => {
  it('is the saved setting when start-up names none, and a new choice is saved and reaches runs and latent views', () => {
    const runner = fakeRunner();
    const latent = { setBackendPreference: vi.fn() };
    const saved = { get: () => ({ backend: 'wasm' as const, allowSoftwareGpu: true }), set: vi.fn() };
    const setting = backendSetting({ runner, latent, saved, startupBackend: null, env: {} });
    expect(setting.inForce).toEqual({ backend: 'wasm', allowSoftwareGpu: true, source: 'saved' });
    expect(latent.setBackendPreference).toHaveBeenLastCalledWith({ backend: 'wasm', allowSoftwareGpu: true });
    expect(setting.choose({ backend: 'webgpu', allowSoftwareGpu: false })).toEqual({
      backend: 'webgpu',
      allowSoftwareGpu: false,
      source: 'saved',
    });
    expect(saved.set).toHaveBeenCalledWith({ backend: 'webgpu', allowSoftwareGpu: false });
    expect(latent.setBackendPreference).toHaveBeenLastCalledWith({ backend: 'webgpu', allowSoftwareGpu: false });
    expect(runner.backendPreference.backend).toBe('webgpu');
  });

  it('is what start-up set, for the session, over the saved setting; the saved one fills in what start-up left', () => {
    const runner = fakeRunner({ backend: 'cpu', allowSoftwareGpu: false });
    const latent = { setBackendPreference: vi.fn() };
    const saved = { get: () => ({ backend: 'wasm' as const, allowSoftwareGpu: true }), set: vi.fn() };
    const flag = backendSetting({ runner, latent, saved, startupBackend: 'cpu', env: {} });
    expect(flag.inForce).toEqual({ backend: 'cpu', allowSoftwareGpu: true, source: 'start-up' });
    const env = backendSetting({
      runner: fakeRunner({ backend: 'webgpu', allowSoftwareGpu: true }),
      latent,
      saved,
      startupBackend: null,
      env: { VAE_WORKBENCH_BACKEND: 'webgpu', VAE_WORKBENCH_ALLOW_SOFTWARE_GPU: '1' },
    });
    expect(env.inForce).toEqual({ backend: 'webgpu', allowSoftwareGpu: true, source: 'start-up' });
  });

  it('is auto by default', () => {
    const setting = backendSetting({
      runner: fakeRunner(),
      latent: { setBackendPreference: vi.fn() },
      saved: { get: () => undefined, set: vi.fn() },
      startupBackend: null,
      env: {},
    });
    expect(setting.inForce).toEqual({ backend: 'auto', allowSoftwareGpu: false, source: 'default' });
  });
});

/** A latent process that answers every request and records the backend it was started on. */
function recordingLatent() {
  const started: (BackendPreference | undefined)[] = [];
  const killed: number[] = [];
  const spawn = (_dbPath: string, backend?: BackendPreference): LatentProcess => {
    const pid = started.push(backend);
    let reply: (m: FromLatent) => void = () => undefined;
    let exited: (code: number | null, signal: string | null) => void = () => undefined;
    return {
      pid,
      send: (message: ToLatent) => setTimeout(() => reply({ type: 'result', id: message.id, ok: true, result: pid })),
      onMessage: (listener) => (reply = listener),
      onExit: (listener) => (exited = listener),
      kill: () => {
        killed.push(pid);
        setTimeout(() => exited(null, 'SIGKILL'));
      },
    };
  };
  return { spawn, started, killed };
}

describe('the saved backend preference across restarts of the workbench', () => {
  let dir = '';
  let open: Workbench[] = [];
  afterEach(async () => {
    vi.unstubAllEnvs();
    for (const wb of open) await wb.close();
    open = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = (dbPath: string, latent = recordingLatent(), backend: string | null = null): Workbench => {
    const wb = openWorkbench({
      dbPath,
      spawn: () => syntheticTraining({ epochMs: 10 }),
      spawnLatent: latent.spawn,
      transport: 'ipc',
      version: '0.0.0-test',
      workQueue: false,
      backend,
    });
    open.push(wb);
    return wb;
  };
  const info = async (wb: Workbench) => (await wb.call('getInfo', {})) as WorkbenchInfo;

  it('is read at start-up unless --backend or VAE_WORKBENCH_BACKEND overrides it, and the latent process follows it', async () => {
    vi.stubEnv('VAE_WORKBENCH_BACKEND', '');
    vi.stubEnv('VAE_WORKBENCH_ALLOW_SOFTWARE_GPU', '');
    dir = mkdtempSync(join(tmpdir(), 'vae-backend-setting-'));
    const dbPath = join(dir, 'experiments.db');
    const latent = recordingLatent();
    const first = start(dbPath, latent);
    expect((await info(first)).backendPreference).toEqual({
      backend: 'auto',
      allowSoftwareGpu: false,
      source: 'default',
    });
    await first.latent.request('latentSpace' as never, {} as never);
    expect(latent.started).toEqual([{ backend: 'auto', allowSoftwareGpu: false }]);

    await first.call('setBackendPreference', { backend: 'cpu', allowSoftwareGpu: true });
    // The latent process on the old backend is ended; the next request starts one on the new backend.
    expect(latent.killed).toEqual([1]);
    expect(await first.latent.request('latentSpace' as never, {} as never)).toBe(2);
    expect(latent.started[1]).toEqual({ backend: 'cpu', allowSoftwareGpu: true });
    // The same choice again restarts nothing.
    await first.call('setBackendPreference', { backend: 'cpu', allowSoftwareGpu: true });
    expect(latent.killed).toEqual([1]);
    await first.close();

    const second = start(dbPath);
    expect((await info(second)).backendPreference).toEqual({ backend: 'cpu', allowSoftwareGpu: true, source: 'saved' });
    expect(second.runner.backendPreference).toEqual({ backend: 'cpu', allowSoftwareGpu: true });
    await second.close();

    const flagged = start(dbPath, recordingLatent(), 'wasm');
    expect((await info(flagged)).backendPreference).toMatchObject({ backend: 'wasm', source: 'start-up' });
    await flagged.close();

    vi.stubEnv('VAE_WORKBENCH_BACKEND', 'auto');
    const fromEnv = start(dbPath);
    expect((await info(fromEnv)).backendPreference).toEqual({
      backend: 'auto',
      allowSoftwareGpu: true,
      source: 'start-up',
    });
  });
});
