import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src-shared/config';
import { configColumnNames, decodeConfig, encodeConfig } from './config-columns';
import { migrate } from './db';
import { migrations } from './migrations/index';
import { openTempStore, type TempStore } from '../testing/store-fixtures';

let store: TempStore | undefined;
afterEach(() => store?.close());

const added = ['decoder_variance', 'beta_cycles', 'beta_cycle_ratio', 'iwae_samples', 'free_bits', 'init'];
/** Columns of later steps, absent from a version-3 database too. */
const later = ['model'];

describe('migration 0004: the objective columns', () => {
  it('gives a run stored before it the defaults, so it reads back as the config it trained with', () => {
    store = openTempStore();
    const db = new BetterSqlite3(`${store.dir}/old.db`);
    const upTo = migrations.findIndex((m) => m.name === '0004-objectives');
    migrate(db, migrations.slice(0, upTo));
    db.prepare("INSERT INTO experiments (id, name, created_at) VALUES (1, 'old', 'now')").run();
    const absent = [...added, ...later];
    const columns = configColumnNames.filter((c) => !absent.includes(c));
    const values = encodeConfig(defaultConfig).filter((_, i) => !absent.includes(configColumnNames[i]));
    db.prepare(
      `INSERT INTO runs (experiment_id, name, status, created_at, ${columns.join(', ')})
       VALUES (1, 'r', 'finished', 'now', ${columns.map(() => '?').join(', ')})`,
    ).run(...values);
    migrate(db);
    const row = db.prepare('SELECT * FROM runs').get() as Record<string, unknown>;
    expect(decodeConfig(row)).toEqual(defaultConfig);
    // The wider β schedule CHECK takes 'cyclical', and still refuses what is not a schedule.
    db.prepare("UPDATE runs SET beta_schedule = 'cyclical'").run();
    expect(() => db.prepare("UPDATE runs SET beta_schedule = 'sine'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE runs SET init = 'xavier'").run()).toThrow(/CHECK/);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
