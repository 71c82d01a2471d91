import * as tf from '@tensorflow/tfjs';
import type { Database } from 'better-sqlite3';
import { manifoldCodes } from '../../src-shared/gaussian';
import type { RunSummary } from '../../src-shared/runs';
import { loadCheckpoint } from '../store/checkpoints';
import { getEpochImages } from '../store/metrics';
import { selectBackend } from '../training/backend';
import { decode, decoderMean, disposeModel, loadModel } from '../training/model';
import { tileImages } from './png';
import type { ImageGrid } from './report';

/**
 * Decodes a 2-D run's latent manifold (a 20×20 grid through Φ⁻¹) from its newest checkpoint, in this process:
 * the CLI's reports. Runs without a 2-D latent space or without a checkpoint have none.
 */
export async function decodeRunManifold(db: Database, run: RunSummary, n = 20): Promise<ImageGrid | null> {
  if (run.config.latentDim !== 2) return null;
  const checkpoint = loadCheckpoint(db, run.id);
  const images = getEpochImages(db, run.id, run.epochsDone);
  if (!checkpoint || !images) return null;
  await selectBackend(null);
  const shape = { height: images.height, width: images.width };
  const model = loadModel(run.config, shape, checkpoint.weights);
  try {
    const codes = manifoldCodes({ n, dims: [0, 1], base: [0, 0], spacing: 'inverse-cdf' });
    const pixels = tf.tidy(() => {
      const z = tf.tensor2d(codes);
      return tf.mul(decoderMean(decode(model, z)), 255).dataSync();
    });
    const tiles = codes.map((_, i) =>
      Uint8Array.from(pixels.subarray(i * images.width * images.height, (i + 1) * images.width * images.height), (v) =>
        Math.round(v),
      ),
    );
    return tileImages(tiles, images.width, images.height, n, 0);
  } finally {
    disposeModel(model);
  }
}
