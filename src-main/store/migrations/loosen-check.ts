import type { Database } from 'better-sqlite3';

/**
 * Loosens a CHECK constraint of the runs table by editing its stored SQL in place: SQLite cannot alter a CHECK, and
 * its documented writable_schema route is safe for a constraint every stored row already satisfies. The text is
 * edited rather than the table rebuilt, so columns other migrations add to runs are kept whatever their order.
 * Throws, naming the stored SQL, when the expected text is not there.
 */
export function loosenRunsCheck(db: Database, what: string, from: string, to: string): void {
  const sql = db
    .prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'runs'")
    .pluck()
    .get() as string;
  if (!sql.includes(from)) throw new Error(`runs table: its ${what} constraint is not the expected one: ${sql}`);
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'runs'").run(sql.replace(from, to));
    db.pragma(`schema_version = ${version + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
}
