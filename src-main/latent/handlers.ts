import type { z } from 'zod';
import type { latentApi, WireImage } from '../../src-shared/latent';
import type { MethodSpec } from '../../src-shared/api';
import type { LatentService } from './service';

/**
 * The latent views' API handlers: validated input goes to the latent process through LatentService, images come back
 * as base64 so one shape crosses IPC and JSON. Spread into createHandlers' result next to the others.
 */

type LatentApi = typeof latentApi;
type Output<M extends keyof LatentApi> = LatentApi[M] extends MethodSpec<z.ZodType, infer O> ? O : never;
export type LatentHandlers = { [M in keyof LatentApi]: (input: z.output<LatentApi[M]['input']>) => Promise<Output<M>> };

export function createLatentHandlers(service: LatentService): LatentHandlers {
  return {
    latentDecode: async (input) => {
      const r = await service.decode(input);
      return { ...r, images: r.images.map(base64) };
    },
    latentManifold: async (input) => {
      const r = await service.manifold(input);
      return { ...r, grid: { ...r.grid, pixels: base64(r.grid.pixels) } };
    },
    latentPriorSamples: async (input) => {
      const r = await service.priorSamples(input);
      return { ...r, images: r.images.map(base64) };
    },
    latentEncodeTest: async (input) => {
      const r = await service.encodeTest(input);
      // Four decimals are far below what a scatter plot or a decoder can show, and keep 10,000 points' JSON small.
      return {
        ...r,
        mu: r.mu.map((m) => m.map(round4)),
        projection: {
          ...r.projection,
          points: r.projection.points.map(([x, y]): [number, number] => [round4(x), round4(y)]),
        },
      };
    },
    latentTestImages: async (input) => {
      const r = await service.testImages(input);
      return { ...r, images: r.images.map(base64) };
    },
    latentTraversals: async (input) => {
      const r = await service.traversals(input);
      return { ...r, rows: r.rows.map((row) => ({ ...row, images: row.images.map(base64) })) };
    },
    latentInterpolate: async (input) => {
      const r = await service.interpolate(input);
      return { ...r, images: r.images.map(base64), endpoints: [base64(r.endpoints[0]), base64(r.endpoints[1])] };
    },
  };
}

function base64(bytes: Uint8Array): WireImage {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
