// First: stops an old Node with a message before better-sqlite3 can crash it.
import '../require-node';
import { defaultConfig, parseConfig } from '../../src-shared/config';
import { builtinDatasetSource } from '../data/builtin';
import { loadDatasetSource } from '../data/load';
import { selectBackend } from '../training/backend';
import { trainRun } from '../training/trainer';
import { quietTfjs } from '../tfjs-quiet';
import { loadAverage } from './measure';

quietTfjs();

/**
 * `npm run bench:pca`: the PCA baseline on full MNIST (60,000 training images, 10,000 test) at latent dimensions
 * 2, 5, 10, 20, 40 (or --latent 2,5,…), through the real run path (trainRun: fit, test evaluation, images,
 * checkpoint). Prints the seconds of each and the test reconstruction in nats and squared error per image.
 */
async function main(): Promise<void> {
  const flag = process.argv.indexOf('--latent');
  const dims = flag >= 0 ? process.argv[flag + 1].split(',').map(Number) : [2, 5, 10, 20, 40];
  if (dims.some((d) => !Number.isInteger(d) || d < 1 || d > 784)) {
    throw new Error(`--latent ${process.argv[flag + 1]}: expected integers 1 to 784 joined by commas`);
  }
  const backend = await selectBackend(null, {});
  const loadStart = performance.now();
  const dataset = await loadDatasetSource(builtinDatasetSource('mnist'));
  console.log(
    `backend ${backend.backend}; MNIST loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s; load ${loadAverage()}`,
  );
  console.log('latent  run s  fit ex/s   test recon (nats)  test sq. error  train sq. error');
  for (const latentDim of dims) {
    const config = parseConfig({ ...defaultConfig, model: 'pca', latentDim });
    const start = performance.now();
    let line = '';
    const outcome = await trainRun({
      config,
      dataset,
      resumeFrom: null,
      onEpoch: (r) => {
        const seconds = (performance.now() - start) / 1000;
        line = `${String(latentDim).padStart(6)}  ${seconds.toFixed(2).padStart(5)}  ${Math.round(r.examplesPerSec)
          .toString()
          .padStart(
            8,
          )}   ${r.test.recon.toFixed(2).padStart(17)}  ${r.test.sqError!.toFixed(2).padStart(14)}  ${r.train.sqError!.toFixed(2).padStart(15)}`;
      },
    });
    if (outcome.status !== 'finished') throw new Error(`latent ${latentDim}: ${JSON.stringify(outcome)}`);
    console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
