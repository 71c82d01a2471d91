import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJson, encodeJson } from '../../src-shared/contract';
import { latentApi, latentMethodNames } from '../../src-shared/latent';
import { createLatentHandlers } from './handlers';
import { spawnInProcess } from './in-process';
import { LatentService } from './service';
import { FIXTURE_SIZE, openLatentFixture, type LatentFixture } from '../testing/latent-fixtures';

describe('latent API handlers', () => {
  let fixture: LatentFixture;
  let service: LatentService;
  let runId: number;

  beforeAll(() => {
    fixture = openLatentFixture();
    runId = fixture.addRun({ latentDim: 3 });
    service = new LatentService({ dbPath: fixture.path, spawn: spawnInProcess({ backend: 'wasm' }) });
  });

  afterAll(() => {
    service?.close();
    fixture?.close();
  });

  it('has a handler for every latent method of the contract', () => {
    expect(Object.keys(createLatentHandlers(service)).sort()).toEqual([...latentMethodNames].sort());
  });

  it('sends images as the same bytes, and they survive the JSON encoding', async () => {
    const handlers = createLatentHandlers(service);
    const input = latentApi.latentManifold.input.parse({ runId, n: 4, dims: [2, 0] });
    const wire = decodeJson(encodeJson(await handlers.latentManifold(input))) as Awaited<
      ReturnType<typeof handlers.latentManifold>
    >;
    const direct = await service.request('latentManifold', input);
    expect(wire.grid.pixels).toBeInstanceOf(Uint8Array);
    expect(wire.grid.pixels).toEqual(direct.grid.pixels);
    expect(wire.grid.width).toBe(4 * FIXTURE_SIZE);

    const traversals = await handlers.latentTraversals(latentApi.latentTraversals.input.parse({ runId, steps: 3 }));
    expect(traversals.rows).toHaveLength(3);
    expect(traversals.rows[0].images[0]).toHaveLength(FIXTURE_SIZE * FIXTURE_SIZE);

    const encoded = await handlers.latentEncodeTest(latentApi.latentEncodeTest.input.parse({ runId, count: 5 }));
    expect(encoded.mu[0].every((v) => Math.abs(v * 1e4 - Math.round(v * 1e4)) < 1e-6)).toBe(true);
  });

  it('has schemas that refuse bad input before anything runs', () => {
    expect(latentApi.latentDecode.input.safeParse({ runId, codes: [] }).success).toBe(false);
    expect(latentApi.latentInterpolate.input.safeParse({ runId, from: -1, to: 2 }).success).toBe(false);
    expect(latentApi.latentEncodeTest.input.safeParse({ runId, count: 10_000 }).success).toBe(true);
  });
});
