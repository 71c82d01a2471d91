import BetterSqlite3 from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { experimentConfigSchema } from '../../src-shared/config';
import { configColumnNames } from './config-columns';
import { APPLICATION_ID, migrate, openDatabase, SCHEMA_VERSION } from './db';
import { migrations } from './migrations/index';
import { openTempStore, type TempStore } from '../testing/store-fixtures';

let store: TempStore;
afterEach(() => store?.close());

describe('openDatabase and migrations', () => {
  it('creates an empty database at the current schema, in WAL mode with foreign keys on', () => {
    store = openTempStore();
    const { db } = store;
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('makes every table STRICT', () => {
    store = openTempStore();
    const tables = store.db
      .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string; strict: number }[];
    expect(tables.map((t) => t.name).sort()).toEqual(
      [
        'checkpoints',
        'dataset_source_files',
        'datasets',
        'epoch_images',
        'epoch_metrics',
        'epochs',
        'experiments',
        'latent_stats',
        'nll_estimates',
        'queue',
        'queue_state',
        'run_tags',
        'runs',
        'settings',
        'sweeps',
      ].sort(),
    );
    expect(tables.filter((t) => t.strict !== 1)).toEqual([]);
  });

  it('has a runs column for every ExperimentConfig field', () => {
    store = openTempStore();
    const columns = store.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('runs') as string[];
    expect(configColumnNames).toHaveLength(Object.keys(experimentConfigSchema.shape).length);
    for (const column of configColumnNames) expect(columns).toContain(column);
  });

  it('numbers migrations 1, 2, 3… without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(migrations.length);
  });

  it('creates missing folders on the way to a new file', () => {
    store = openTempStore();
    const db = openDatabase(`${store.dir}/nested/deeper/experiments.db`);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('reopens an existing database without running the steps again', () => {
    store = openTempStore();
    store.db.prepare("INSERT INTO experiments (name, created_at) VALUES ('kept', '2026-01-01')").run();
    store.db.close();
    const db = openDatabase(store.path);
    expect(db.prepare('SELECT name FROM experiments').pluck().all()).toEqual(['kept']);
    db.close();
  });

  it('refuses a database newer than the code, naming both versions and the path', () => {
    store = openTempStore();
    store.db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    store.db.close();
    const open = () => openDatabase(store.path);
    expect(open).toThrow(`schema version ${SCHEMA_VERSION + 5}`);
    expect(open).toThrow(`version ${SCHEMA_VERSION}`);
    expect(open).toThrow(store.path);
    expect(() => openDatabase(store.path, { readonly: true })).toThrow(/update VAE Workbench/);
  });

  it('refuses an SQLite file that is not a workbench store instead of migrating it', () => {
    store = openTempStore();
    const strangerPath = `${store.dir}/stranger.db`;
    const stranger = new BetterSqlite3(strangerPath);
    stranger.exec('CREATE TABLE notes (text TEXT)');
    stranger.close();
    expect(() => openDatabase(strangerPath)).toThrow(/not a VAE Workbench store/);
  });

  it('refuses a file that is not a database, or a truncated one, naming the path and leaving it as it was', () => {
    store = openTempStore();
    const notes = `${store.dir}/notes.db`;
    writeFileSync(notes, 'my notes, not a database\n');
    expect(() => openDatabase(notes)).toThrow(`${notes} is not an SQLite database`);
    expect(readFileSync(notes, 'utf8')).toBe('my notes, not a database\n');

    // A store cut short after its header (a copy that stopped half-way).
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.db.close();
    const whole = readFileSync(store.path);
    const truncated = `${store.dir}/truncated.db`;
    for (const keep of [10, 100, whole.length - 4096 - 100]) {
      writeFileSync(truncated, whole.subarray(0, keep));
      expect(() => openDatabase(truncated), `kept ${keep} of ${whole.length} bytes`).toThrow(truncated);
      expect(readFileSync(truncated).equals(whole.subarray(0, keep))).toBe(true);
    }
  });

  it('opens read-only without writing, and refuses a read-only open of a missing file', () => {
    store = openTempStore();
    const reader = openDatabase(store.path, { readonly: true });
    expect(reader.readonly).toBe(true);
    expect(() => reader.prepare("INSERT INTO experiments (name, created_at) VALUES ('x', 'y')").run()).toThrow(
      /readonly/,
    );
    reader.close();
    expect(() => openDatabase(`${store.dir}/missing.db`, { readonly: true })).toThrow(/missing\.db/);
  });

  it('runs pending steps in one transaction: a failing step leaves the old version and no tables', () => {
    store = openTempStore();
    const fresh = new BetterSqlite3(`${store.dir}/fresh.db`);
    const broken = {
      version: migrations.length + 1,
      name: 'broken',
      up: () => {
        throw new Error('boom');
      },
    };
    expect(() => migrate(fresh, [...migrations, broken])).toThrow('boom');
    expect(fresh.pragma('user_version', { simple: true })).toBe(0);
    expect(fresh.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get()).toBe(0);
    // From an older version only the pending steps run.
    migrate(fresh);
    const second = {
      version: migrations.length + 1,
      name: 'add-column',
      up: (db: typeof fresh) => db.exec('ALTER TABLE runs ADD COLUMN extra TEXT'),
    };
    migrate(fresh, [...migrations, second]);
    expect(fresh.pragma('user_version', { simple: true })).toBe(migrations.length + 1);
    expect(fresh.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('runs')).toContain('extra');
    fresh.close();
  });
});
