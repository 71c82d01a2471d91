import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db';
import { listRuns } from '../store/runs';
import { TestRedis } from '../testing/redis-server';

/** The built CLI, as `npx vae-workbench` runs it. */
const cli = resolve(__dirname, '../../out/main/cli.js');
const PASSWORD = 'pw-Zq81-never-shown';

let redis: TestRedis;
beforeAll(async () => {
  redis = await TestRedis.start({ password: PASSWORD });
});
afterAll(async () => {
  await redis.stop();
});

/** Without blocking: the workers' output is read meanwhile. */
function vaeAsync(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((done) => child.once('close', (code) => done({ code, out, err })));
}

function vae(args: string[]): { code: number; out: string; err: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status ?? -1, out: result.stdout, err: result.stderr };
}

describe('vae-workbench worker and run --redis (built CLI, real training, a password-protected redis-server)', () => {
  it('trains a queued sweep on two workers; the password appears in no output, no log and no table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-remote-cli-'));
    const db = join(dir, 'experiments.db');
    const sweep = '--dataset mnist --beta 1,4 --latent 2 --hidden 32 --epochs 2 --train-subset 256 --test-subset 128';
    const queued = vae(['queue', '--db', db, ...sweep.split(' ')]);
    expect(queued.code, queued.err).toBe(0);
    const workers = [0, 1].map((i) =>
      // One worker reads the URL from the environment, as a Slurm task would.
      i === 0
        ? vaeAsync(['worker', '--redis', 'env', '--exit-when-idle', '--idle-seconds', '3'], {
            VAE_WORKBENCH_REDIS: redis.url,
          })
        : vaeAsync(['worker', '--redis', redis.url, '--exit-when-idle', '--idle-seconds', '3']),
    );
    const run = await vaeAsync(['run', '--db', db, '--redis', redis.url]);
    const ended = await Promise.all(workers);
    const workerOutput = ended.map((w) => w.out + w.err);
    expect(run.code, run.err).toBe(0);
    expect(ended.map((w) => w.code)).toEqual([0, 0]);
    expect(workerOutput.join('')).toMatch(/leaving after [12] runs?/);
    expect(run.out).toContain('redis://:***@127.0.0.1');
    expect(run.out).toMatch(/Queue empty: 2 runs/);

    const store = openDatabase(db);
    const runs = listRuns(store);
    expect(runs.map((r) => [r.status, r.epochsDone])).toEqual([
      ['finished', 2],
      ['finished', 2],
    ]);
    // Every text cell of every table, and the file's bytes, are free of the password.
    const tables = store.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    for (const table of tables) {
      for (const row of store.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]) {
        for (const value of Object.values(row)) {
          if (typeof value === 'string') expect(value).not.toContain(PASSWORD);
        }
      }
    }
    expect(store.pragma('integrity_check', { simple: true })).toBe('ok');
    store.close();
    expect(readFileSync(db).includes(PASSWORD)).toBe(false);
    for (const text of [run.out, run.err, workerOutput.join('')]) expect(text).not.toContain(PASSWORD);
  }, 120_000);

  it('a wrong URL is refused with its password masked', () => {
    const bad = vae(['worker', '--redis', `http://user:${PASSWORD}@example.org`]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/scheme http: is not allowed; use redis:\/\/ or rediss:\/\//);
    expect(bad.err + bad.out).not.toContain(PASSWORD);
    const missing = vae(['worker']);
    expect(missing.err).toMatch(/give --redis URL/);
  });
});
