import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendFromArgs, forkLatent, latentArgs } from './fork';
import { LatentService } from './service';
import { openLatentFixture, type LatentFixture } from '../testing/latent-fixtures';

describe('the latent process command line', () => {
  it('names the backend and the software flag before the database path, and reads them back', () => {
    expect(latentArgs('/data/x.db')).toEqual(['/data/x.db']);
    const args = latentArgs('/data/x.db', { backend: 'webgpu', allowSoftwareGpu: true });
    expect(args).toEqual(['--backend=webgpu', '--allow-software-gpu', '/data/x.db']);
    expect(backendFromArgs(['node', 'latent-worker.js', ...args])).toBe('webgpu');
    expect(backendFromArgs(['node', 'latent-worker.js', '/data/x.db'])).toBeUndefined();
  });
});

const builtWorker = process.env.VAE_WORKBENCH_LATENT_WORKER ?? resolve(__dirname, '../../out/main/latent-worker.js');

describe.skipIf(!existsSync(builtWorker))('the latent process follows the backend preference (forked worker)', () => {
  let fixture: LatentFixture;
  let runId: number;
  beforeAll(() => {
    fixture = openLatentFixture();
    runId = fixture.addRun({ latentDim: 2 });
  });
  afterAll(() => fixture?.close());

  it('starts on the backend asked for, and on a change restarts on the new one with the same images', async () => {
    const service = new LatentService({
      dbPath: fixture.path,
      spawn: (dbPath, backend) => forkLatent(dbPath, builtWorker, backend),
    });
    try {
      service.setBackendPreference({ backend: 'cpu', allowSoftwareGpu: false });
      const onCpu = await service.request('latentDecode', { runId, codes: [[0.5, -1]] });
      expect(service.backend?.backend).toBe('cpu');
      const cpuPid = service.pid;
      service.setBackendPreference({ backend: 'wasm', allowSoftwareGpu: false });
      const onWasm = await service.request('latentDecode', { runId, codes: [[0.5, -1]] });
      expect(service.backend?.backend).toBe('wasm');
      expect(service.pid).not.toBe(cpuPid);
      expect(service.starts).toBe(2);
      // The same checkpoint decodes to the same 8-bit image on either backend (±1 grey level of rounding).
      const a = onCpu.images[0];
      const b = onWasm.images[0];
      expect(a.length).toBe(b.length);
      expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])))).toBeLessThanOrEqual(1);
    } finally {
      service.close();
    }
  });
});
