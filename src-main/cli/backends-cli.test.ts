import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendAvailability } from '../training/backend';
import { openDatabase } from '../store/db';
import { listRuns } from '../store/runs';

/** The built CLI, as `npx vae-workbench` runs it. */
const cli = resolve(__dirname, '../../out/main/cli.js');

function vae(args: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string } {
  const env = { ...process.env, ...extraEnv };
  delete env.VAE_WORKBENCH_BACKEND;
  delete env.VAE_WORKBENCH_ALLOW_SOFTWARE_GPU;
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000, env });
  return { code: result.status ?? -1, out: result.stdout, err: result.stderr };
}

describe('vae-workbench backends and --backend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-backends-'));
  const db = join(dir, 'experiments.db');

  const listed = vae(['backends', '--json', '--db', db]);
  const rows = JSON.parse(listed.out) as BackendAvailability[];
  const adapters = rows.find((r) => r.backend === 'webgpu')?.adapters ?? [];
  const onlySoftware = adapters.length > 0 && adapters.every((a) => a.software);
  if (!onlySoftware) {
    console.warn(
      `webgpu CLI checks skipped: ${adapters.length === 0 ? 'no WebGPU adapter here' : 'a hardware adapter is present'}`,
    );
  }

  it('lists every backend best first, each available or with its reason', () => {
    expect(listed.code, listed.err).toBe(0);
    expect(rows.map((r) => r.label)).toEqual(['tensorflow (GPU)', 'webgpu', 'tensorflow (CPU)', 'blas', 'wasm', 'cpu']);
    for (const row of rows) expect(row.available || (row.reason ?? '').length > 0).toBe(true);
    expect(rows.find((r) => r.label === 'wasm')?.available).toBe(true);
    const blas = rows.find((r) => r.label === 'blas');
    expect(blas?.available).toBe(true);
    expect(blas?.blas?.library).toMatch(/openblas/i);
    expect(blas?.blas?.threads).toBeGreaterThanOrEqual(1);
  });

  it('without OpenBLAS, blas says why and how to install it; asking for it by name is an error saying why', () => {
    const missing = { VAE_WORKBENCH_BLAS_LIBRARY: join(dir, 'no-such-libopenblas.so') };
    const listedWithout = vae(['backends', '--json', '--db', db], missing);
    const blas = (JSON.parse(listedWithout.out) as BackendAvailability[]).find((r) => r.label === 'blas');
    expect(blas?.available).toBe(false);
    expect(blas?.reason).toContain('no-such-libopenblas.so');
    expect(blas?.reason).toContain('apt-get install libopenblas0-pthread');
    const named = vae(['run', '--db', db, '--backend', 'blas'], missing);
    expect(named.code).not.toBe(0);
    expect(named.err).toMatch(/backend 'blas' could not start.*no usable OpenBLAS/);
  });

  it('refuses a backend that is not one, naming the allowed ones', () => {
    const bad = vae(['run', '--db', db, '--backend', 'cuda']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /--backend = 'cuda' is not a backend; use one of auto, tensorflow, webgpu, blas, wasm, cpu/,
    );
  });

  it.skipIf(!onlySoftware)(
    'trains on webgpu with --allow-software-gpu, and without it refuses, saying the only adapter is a software one',
    () => {
      const queued = vae(
        ['queue', '--db', db, '--dataset', 'mnist', '--latent', '2', '--hidden', '32'].concat([
          '--epochs',
          '1',
          '--train-subset',
          '300',
          '--test-subset',
          '100',
        ]),
      );
      expect(queued.code, queued.err).toBe(0);

      const refused = vae(['run', '--db', db, '--backend', 'webgpu']);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/backend 'webgpu' could not start \(webgpu: the only adapter is a software one/);
      expect(refused.err).toMatch(/--allow-software-gpu/);
      // Refused before any run was claimed: the run is still queued, not failed.
      let store = openDatabase(db);
      expect(listRuns(store).map((r) => r.status)).toEqual(['queued']);
      store.close();

      const trained = vae(['run', '--db', db, '--backend', 'webgpu', '--allow-software-gpu']);
      expect(trained.code, trained.err).toBe(0);
      store = openDatabase(db);
      const [run] = listRuns(store);
      store.close();
      expect(run.status).toBe('finished');
      expect(run.backend).toBe('webgpu');
      expect(run.adapter?.software).toBe(true);
      const show = vae(['show', String(run.id), '--db', db]);
      expect(show.out).toMatch(/backend webgpu on .*(llvmpipe|lavapipe|swiftshader).*\(software adapter\)/i);
    },
  );
});
