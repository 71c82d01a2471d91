import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkLatent } from './fork';
import { spawnInProcess } from './in-process';
import { LatentService } from './service';
import { openLatentFixture, type LatentFixture } from '../testing/latent-fixtures';

let fixture: LatentFixture;
let runId: number;

beforeAll(() => {
  fixture = openLatentFixture();
  runId = fixture.addRun({ latentDim: 2 });
});

afterAll(() => fixture?.close());

describe('LatentService (in-process latent process)', () => {
  it('answers concurrent requests by id and passes errors on with their names', async () => {
    const service = new LatentService({ dbPath: fixture.path, spawn: spawnInProcess({ backend: 'wasm' }) });
    try {
      const [a, b, m] = await Promise.all([
        service.request('latentDecode', { runId, codes: [[0, 0]] }),
        service.request('latentDecode', {
          runId,
          codes: [
            [1, 1],
            [2, 2],
          ],
        }),
        service.request('latentManifold', { runId, n: 3, dims: [0, 1] }),
      ]);
      expect(a.images).toHaveLength(1);
      expect(b.images).toHaveLength(2);
      expect(m.grid.pixels).toBeInstanceOf(Uint8Array);
      expect(service.backend?.backend).toBe('wasm');
      await expect(service.request('latentDecode', { runId: 4242, codes: [[0, 0]] })).rejects.toMatchObject({
        name: 'NotFound',
        message: 'runId = 4242: no such run',
      });
      expect(service.starts).toBe(1);
    } finally {
      service.close();
    }
  });

  it('fails requests in flight when the process dies, and starts a new one on the next request', async () => {
    const service = new LatentService({ dbPath: fixture.path, spawn: spawnInProcess({ backend: 'wasm' }) });
    try {
      await service.request('latentDecode', { runId, codes: [[0, 0]] });
      const pid = service.pid;
      const inFlight = service.request('latentEncodeTest', { runId, count: 10 });
      // Killed before the request is answered, as a crash in TF.js would.
      (service as unknown as { child: { kill(): void } }).child.kill();
      await expect(inFlight).rejects.toMatchObject({
        name: 'LatentProcessError',
        message: expect.stringMatching(
          /latentEncodeTest failed: the latent process was killed \(SIGKILL\); it starts again/,
        ),
      });
      const after = await service.request('latentDecode', { runId, codes: [[0, 0]] });
      expect(after.images).toHaveLength(1);
      expect(service.pid).not.toBe(pid);
      expect(service.starts).toBe(2);
    } finally {
      service.close();
    }
  });

  it('restarts a process that overruns the time limit', async () => {
    const service = new LatentService({
      dbPath: fixture.path,
      spawn: spawnInProcess({ backend: 'wasm' }),
      timeoutMs: 1,
    });
    try {
      await expect(service.request('latentEncodeTest', { runId, count: 40 })).rejects.toMatchObject({
        message: expect.stringMatching(/took longer than 1 ms; the latent process is restarted/),
      });
    } finally {
      service.close();
    }
    await expect(service.request('latentDecode', { runId, codes: [[0, 0]] })).rejects.toMatchObject({
      message: /service is closed/,
    });
  });
});

const builtWorker = process.env.VAE_WORKBENCH_LATENT_WORKER ?? resolve(__dirname, '../../out/main/latent-worker.js');

describe.skipIf(!existsSync(builtWorker))('LatentService (forked out/main/latent-worker.js)', () => {
  it('decodes in a child process, survives a kill -9 and restarts', async () => {
    const service = new LatentService({ dbPath: fixture.path, spawn: (dbPath) => forkLatent(dbPath, builtWorker) });
    try {
      const first = await service.request('latentDecode', {
        runId,
        codes: [
          [0, 0],
          [3, -3],
        ],
      });
      expect(first.images[0]).toBeInstanceOf(Uint8Array);
      const pid = service.pid!;
      const inFlight = service.request('latentManifold', { runId, n: 30, dims: [0, 1] });
      process.kill(pid, 'SIGKILL');
      await expect(inFlight).rejects.toMatchObject({
        name: 'LatentProcessError',
        message: expect.stringMatching(/was killed \(SIGKILL\)/),
      });
      const again = await service.request('latentDecode', { runId, codes: [[0, 0]] });
      expect(again.images[0]).toEqual(first.images[0]);
      expect(service.pid).not.toBe(pid);
    } finally {
      service.close();
    }
  });
});
