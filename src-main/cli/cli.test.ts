import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db';
import { listRuns } from '../store/runs';
import { listCheckpoints } from '../store/checkpoints';

/** The built CLI, as `npx vae-workbench` runs it. */
const cli = resolve(__dirname, '../../out/main/cli.js');

function vae(args: string[]): { code: number; out: string; err: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: result.status ?? -1, out: result.stdout, err: result.stderr };
}

describe('vae-workbench CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-cli-'));
  const db = join(dir, 'experiments.db');

  it('refuses an invalid value before queueing anything, naming the flag, the value and what is allowed', () => {
    const bad = vae(['queue', '--db', db, '--beta', '0,-1', '--epochs', '1']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--beta "-1".*allowed: a number ≥ 0/);
    const unknown = vae(['queue', '--db', db, '--dataset', 'cifar']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toMatch(/cifar/);
    const flag = vae(['queue', '--db', db, '--betta', '1']);
    expect(flag.code).not.toBe(0);
    expect(flag.err).toMatch(/unknown flag --betta; did you mean --beta/);
    const store = openDatabase(db);
    expect(listRuns(store)).toHaveLength(0);
    store.close();
  });

  it('trains a β sweep whose figures behave as theory says, and exports them', () => {
    const queued = vae([
      'queue',
      '--db',
      db,
      '--dataset',
      'mnist',
      '--beta',
      '0,1,4',
      '--latent',
      '2',
      '--hidden',
      '128',
      '--epochs',
      '2',
      '--train-subset',
      '2000',
      '--test-subset',
      '500',
      '--experiment',
      'beta sweep',
    ]);
    expect(queued.err).toBe('');
    expect(queued.code).toBe(0);
    expect(queued.out).toMatch(/Queued 3 runs in "beta sweep"/);

    const run = vae(['run', '--db', db]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/Queue empty: 3 runs/);
    expect(run.out).toMatch(/run \d+ epoch 2\/2: test recon/);

    const store = openDatabase(db);
    const runs = listRuns(store);
    expect(runs.map((r) => [r.config.beta, r.status, r.epochsDone])).toEqual([
      [0, 'finished', 2],
      [1, 'finished', 2],
      [4, 'finished', 2],
    ]);
    for (const r of runs) expect(listCheckpoints(store, r.id).length).toBeGreaterThan(0);
    store.close();
    const [b0, b1, b4] = runs.map((r) => r.last.test!);
    // β = 0 spends nothing on the KL: the best reconstruction and the largest KL of the three.
    expect(b0.recon).toBeLessThan(b1.recon);
    expect(b0.recon).toBeLessThan(b4.recon);
    expect(b0.kl).toBeGreaterThan(b1.kl);
    expect(b1.kl).toBeGreaterThan(b4.kl);

    const list = vae(['list', '--db', db]);
    expect(list.code).toBe(0);
    expect(list.out.split('\n').filter((l) => l.includes('finished'))).toHaveLength(3);

    const show = vae(['show', String(runs[2].id), '--db', db]);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/beta\s+4/);

    const csvPath = join(dir, 'metrics.csv');
    const exported = vae(['export', '--db', db, '--csv', csvPath]);
    expect(exported.code, exported.err).toBe(0);
    const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
    const header = lines[0].split(',');
    for (const column of ['run_id', 'beta', 'latent_dim', 'epoch', 'split', 'recon', 'kl', 'elbo'])
      expect(header).toContain(column);
    // 3 runs × 2 epochs × 2 splits.
    expect(lines).toHaveLength(1 + 12);
  });

  it("estimates a run's test NLL by importance sampling, tighter than the ELBO, and reports it", () => {
    const store = openDatabase(db);
    const run = listRuns(store).find((r) => r.config.beta === 1)!;
    store.close();
    const nll = vae(['nll', String(run.id), '--db', db, '--k', '20', '--examples', 'all']);
    expect(nll.code, nll.err).toBe(0);
    const value = Number(/test NLL (\d+\.\d+) nats \(k = 20, 500 examples/.exec(nll.out)?.[1]);
    // log p(x) ≥ the k-sample bound ≥ the ELBO (Burda et al. 2016, theorem 1): the estimate lies below −ELBO.
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThan(-run.last.test!.elbo);
    expect(vae(['show', String(run.id), '--db', db]).out).toMatch(/NLL \(test, epoch 2, k = 20, 500 examples\)/);

    const out = join(dir, 'report');
    expect(vae(['report', '--db', db, '--out', out, '--runs', String(run.id)]).code).toBe(0);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(`${value.toFixed(2)} (k = 20, 500 ex., epoch 2)`);

    expect(vae(['nll', String(run.id), '--db', db, '--k', '0']).err).toMatch(/--k "0": allowed: an integer from 1/);
  });

  it('export refuses an unwritable path and leaves no file', () => {
    const target = join(dir, 'no-such-dir', 'metrics.csv');
    const result = vae(['export', '--db', db, '--csv', target]);
    expect(result.code).not.toBe(0);
    expect(result.err).toMatch(/cannot write .*metrics\.csv: ENOENT/);
    expect(existsSync(target)).toBe(false);
  });

  it('show, resume and cancel refuse a run that does not exist', () => {
    for (const command of ['show', 'resume', 'cancel']) {
      const result = vae([command, '999', '--db', db]);
      expect(result.code).not.toBe(0);
      expect(result.err).toMatch(/999/);
    }
  });
});
