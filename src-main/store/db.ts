import BetterSqlite3 from 'better-sqlite3';
import type { Database, Statement } from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from './errors';
import { migrations, type Migration } from './migrations/index';

export type { Database };

/** The schema this code reads and writes: the number of the newest migration. */
export const SCHEMA_VERSION = migrations[migrations.length - 1].version;

/** 'VAEW' in PRAGMA application_id marks a file as ours, so a stranger's SQLite file is never migrated. */
export const APPLICATION_ID = 0x56414557;

/** How long a writer waits for another process's transaction before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating when absent) the store at `path`: WAL, foreign keys on, busy timeout, then migrates.
 * readonly opens an existing file without migrating, and refuses any schema other than SCHEMA_VERSION
 * (the training process reads imported datasets this way while the main process writes).
 */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): Database {
  const readonly = options.readonly ?? false;
  if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  if (path !== ':memory:') checkIsDatabase(path);
  let db: Database;
  try {
    db = new BetterSqlite3(path, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw new StoreError('schema', `cannot open the database ${path}: ${(error as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    if (readonly) {
      const version = userVersion(db);
      if (version !== SCHEMA_VERSION) {
        throw new StoreError(
          'schema',
          `database ${path} has schema version ${version}, this code reads version ${SCHEMA_VERSION}; ` +
            (version > SCHEMA_VERSION ? 'update VAE Workbench to open it' : 'open it read-write once to migrate it'),
        );
      }
    } else {
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL never corrupts and loses no commit on a process crash (only on power loss).
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
    return db;
  } catch (error) {
    db.close();
    throw unusableFile(path, error);
  }
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * A file that exists and is not an SQLite database (a text file, a download cut short) is refused before SQLite
 * touches it, so it is never taken for an empty store and overwritten. An empty file is a new store.
 */
function checkIsDatabase(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return; // absent: a new store is created (or, read-only, SQLite says it is missing)
  }
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read < header.length || header.toString('latin1') !== SQLITE_HEADER) {
    throw new StoreError(
      'schema',
      `${path} is not an SQLite database (${size} bytes, no SQLite header); it was left untouched. ` +
        'Pass another file with --db or VAE_WORKBENCH_DB, or move this one away',
    );
  }
}

/** SQLite's own "not a database" / "malformed" errors, said with the path; other errors pass unchanged. */
function unusableFile(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreError(
      'schema',
      `${path} is damaged or not a VAE Workbench database (SQLite: ${(error as Error).message}); it was left ` +
        'untouched. Restore it from a copy, or pass another file with --db or VAE_WORKBENCH_DB',
    );
  }
  return error;
}

/**
 * Brings the schema up to SCHEMA_VERSION: every pending step in one transaction, so a failure leaves the
 * database at its old version. Versions only increase; a database newer than the code is refused.
 */
export function migrate(db: Database, steps: readonly Migration[] = migrations): void {
  const target = steps[steps.length - 1].version;
  const checkVersions = (): number => {
    const version = userVersion(db);
    if (version > target) {
      throw new StoreError(
        'schema',
        `database ${db.name} has schema version ${version}, newer than this code's version ${target}; ` +
          'update VAE Workbench to open it',
      );
    }
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    if (version === 0 && applicationId === 0) {
      const tables = db
        .prepare("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        .pluck()
        .get() as number;
      if (tables > 0) {
        throw new StoreError(
          'schema',
          `${db.name} is an SQLite database with ${tables} tables but not a VAE Workbench store`,
        );
      }
    } else if (applicationId !== APPLICATION_ID) {
      throw new StoreError(
        'schema',
        `${db.name} is not a VAE Workbench store (application_id ${applicationId}, expected ${APPLICATION_ID})`,
      );
    }
    return version;
  };
  if (checkVersions() === target) return;
  // IMMEDIATE takes the write lock first, and the version is read again inside: two processes opening a new
  // file at once run the steps once.
  db.transaction(() => {
    const version = checkVersions();
    for (const step of steps) {
      if (step.version <= version) continue;
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
  }).immediate();
}

function userVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** A write transaction that takes the write lock at BEGIN, so it waits (busy_timeout) instead of failing on upgrade. */
export function writeTransaction<T>(db: Database, fn: () => T): T {
  return db.transaction(fn).immediate();
}

const statements = new WeakMap<Database, Map<string, Statement>>();

/** A prepared statement, compiled once per connection: preparing costs more than running a small query. */
export function statement(db: Database, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let prepared = cache.get(sql);
  if (!prepared) cache.set(sql, (prepared = db.prepare(sql)));
  // Callers that want single values call .pluck() themselves; a cached statement starts from rows.
  return prepared.reader ? prepared.pluck(false) : prepared;
}

export function nowIso(): string {
  return new Date().toISOString();
}
