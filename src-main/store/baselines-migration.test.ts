import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src-shared/config';
import { configColumnNames, decodeConfig, encodeConfig } from './config-columns';
import { migrate } from './db';
import { getEpochMetrics } from './metrics';
import { migrations } from './migrations/index';
import { readRun } from './run-rows';
import { openTempStore, type TempStore } from '../testing/store-fixtures';

let store: TempStore | undefined;
afterEach(() => store?.close());

describe('migration 0006: model kinds and the IWAE and squared-error series', () => {
  it('reads a run stored before it back as the VAE it was, with no IWAE or squared-error values', () => {
    store = openTempStore();
    const db = new BetterSqlite3(`${store.dir}/old.db`);
    const upTo = migrations.findIndex((m) => m.name === '0006-baselines-and-iwae');
    migrate(db, migrations.slice(0, upTo));
    db.prepare("INSERT INTO experiments (id, name, created_at) VALUES (1, 'old', 'now')").run();
    const columns = configColumnNames.filter((c) => c !== 'model');
    const values = encodeConfig(defaultConfig).filter((_, i) => configColumnNames[i] !== 'model');
    db.prepare(
      `INSERT INTO runs (experiment_id, name, status, created_at, epochs_done, last_test_recon, last_test_kl,
         last_test_beta_kl, last_test_elbo, last_test_loss, ${columns.join(', ')})
       VALUES (1, 'r', 'finished', 'now', 1, 90, 10, 10, -100, 100, ${columns.map(() => '?').join(', ')})`,
    ).run(...values);
    db.prepare(
      `INSERT INTO epoch_metrics (run_id, epoch, split, recon, kl, beta_kl, elbo, loss, beta, non_finite)
       VALUES (1, 1, 'test', 90, 10, 10, -100, 100, 1, 0)`,
    ).run();
    migrate(db);
    const row = db.prepare('SELECT * FROM runs').get() as Record<string, unknown>;
    expect(decodeConfig(row)).toEqual(defaultConfig);
    expect(readRun(db, 1)?.last.test).toEqual({ recon: 90, kl: 10, betaKl: 10, elbo: -100, loss: 100 });
    expect(getEpochMetrics(db, [1])[0]).not.toHaveProperty('iwae');
    db.prepare("UPDATE runs SET model = 'pca'").run();
    expect(() => db.prepare("UPDATE runs SET model = 'svm'").run()).toThrow(/CHECK/);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});

describe('the IWAE bound and squared error per epoch', () => {
  it('are stored with the epoch, in the summary, and kept apart from runs that have none', async () => {
    const { claimNextRun, queueRuns, getRun } = await import('./runs');
    const { recordEpoch } = await import('./metrics');
    const { epochResult, smallConfig } = await import('../testing/store-fixtures');
    store = openTempStore();
    const [iwaeRun, pcaRun] = queueRuns(store.db, {
      experimentName: 'e',
      configs: [smallConfig({ latentDim: 3, iwaeSamples: 5 }), smallConfig({ latentDim: 3, model: 'pca' })],
    });
    claimNextRun(store.db, process.pid);
    const first = epochResult(1, 3);
    recordEpoch(store.db, iwaeRun.id, { ...first, test: { ...first.test, iwae: -95.5, sqError: 12.25 } });
    expect(getRun(store.db, iwaeRun.id)?.last.test).toMatchObject({ iwae: -95.5, sqError: 12.25 });
    expect(getEpochMetrics(store.db, [iwaeRun.id]).map((m) => m.iwae ?? null)).toEqual([null, -95.5]);
    expect(getRun(store.db, pcaRun.id)?.config.model).toBe('pca');
  });
});
