import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db';
import { listRuns } from '../store/runs';

/** The built CLI, as `npx vae-workbench` runs it. */
const cli = resolve(__dirname, '../../out/main/cli.js');

function vae(args: string[]): { code: number; out: string; err: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: result.status ?? -1, out: result.stdout, err: result.stderr };
}

describe('vae-workbench CLI: PCA baselines', () => {
  it('queues PCA at several latent dimensions, says which flags it ignores, fits them and lists n/a for the ELBO', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'vae-cli-pca-')), 'experiments.db');
    const queued = vae([
      'queue',
      '--db',
      db,
      '--model',
      'pca',
      '--latent',
      '2,5',
      '--train-subset',
      '2000',
      '--test-subset',
      '300',
      '--iwae-k',
      '5',
      '--experiment',
      'pca',
    ]);
    expect(queued.code).toBe(0);
    expect(queued.out).toContain('run 1: PCA z=2 seed=0 (mnist, PCA, fitted in closed form)');
    expect(queued.out).toContain('Note: --iwae-k 5 does not apply to model = pca: ignored');
    const ran = vae(['run', '--db', db]);
    expect(ran.code).toBe(0);
    expect(ran.out).toMatch(
      /run 2 epoch 1\/1: test recon \d+\.\d\d nats, squared error \d+\.\d\d per image \(PCA: no KL, no ELBO\)/,
    );
    const store = openDatabase(db);
    const runs = listRuns(store);
    store.close();
    expect(runs.map((r) => [r.config.model, r.status, r.epochsDone])).toEqual([
      ['pca', 'finished', 1],
      ['pca', 'finished', 1],
    ]);
    // More components, less error: the squared error at z = 5 is below that at z = 2.
    expect(runs[1].last.test!.sqError!).toBeLessThan(runs[0].last.test!.sqError!);
    const list = vae(['list', '--db', db]);
    expect(list.out.split('\n').filter((l) => l.includes('n/a'))).toHaveLength(2);
  });
});
