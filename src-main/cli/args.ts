import { runStatuses, type RunStatus } from '../../src-shared/runs';

/** A small argv parser: `command positional… --flag value --flag=value --bare`. */
export interface ParsedArgs {
  command: string | null;
  positionals: string[];
  flags: Map<string, string>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Flags that take no value; every other flag needs one. */
const BARE_FLAGS = new Set([
  'help',
  'json',
  'autoencoder',
  'queue-only',
  'no-run',
  'log',
  'allow-software-gpu',
  'exit-when-idle',
]);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '-h') {
      flags.set('help', '');
      continue;
    }
    if (!token.startsWith('--')) {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    if (name === '') throw new UsageError(`"${token}" is not a flag`);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice; give it once (a comma list makes a sweep)`);
    if (eq !== -1) {
      flags.set(name, token.slice(eq + 1));
    } else if (BARE_FLAGS.has(name)) {
      flags.set(name, '');
    } else {
      const value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new UsageError(`--${name} needs a value`);
      }
      flags.set(name, value);
      i++;
    }
  }
  const command = positionals.shift() ?? null;
  return { command, positionals, flags };
}

/** Refuses flags the command does not know, suggesting the closest one. */
export function checkFlags(command: string, flags: Map<string, string>, allowed: ReadonlySet<string>): void {
  for (const name of flags.keys()) {
    if (allowed.has(name)) continue;
    const near = [...allowed].filter((a) => a.startsWith(name.slice(0, 3)) || name.startsWith(a.slice(0, 3)));
    const hint = near.length > 0 ? `; did you mean ${near.map((n) => `--${n}`).join(' or ')}?` : '';
    throw new UsageError(`${command}: unknown flag --${name}${hint} (see \`vae-workbench ${command} --help\`)`);
  }
}

export function runIdArg(command: string, positionals: string[]): number {
  const raw = positionals[0];
  if (raw === undefined) throw new UsageError(`${command}: give a run id, e.g. \`vae-workbench ${command} 3\``);
  if (positionals.length > 1) throw new UsageError(`${command}: one run id, got ${positionals.join(' ')}`);
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1)
    throw new UsageError(`${command}: run id ${JSON.stringify(raw)} is not a positive integer`);
  return id;
}

export function idListFlag(name: string, raw: string): number[] {
  const ids = raw.split(',').map((part) => Number(part.trim()));
  if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id < 1)) {
    throw new UsageError(`--${name} ${JSON.stringify(raw)}: allowed: run ids joined by commas, e.g. 1,2,5`);
  }
  return ids;
}

/** --experiment ID: undefined when the flag is absent. */
export function experimentIdFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1) {
    throw new UsageError(`--experiment ${JSON.stringify(raw)}: allowed: an experiment id (a positive integer)`);
  }
  return id;
}

/** --status S,S: each a run status; undefined when the flag is absent. */
export function statusListFlag(raw: string | undefined): RunStatus[] | undefined {
  if (raw === undefined) return undefined;
  const values = raw.split(',').map((v) => v.trim());
  const bad = values.find((v) => !(runStatuses as readonly string[]).includes(v));
  if (bad !== undefined) throw new UsageError(`--status ${JSON.stringify(bad)}: allowed: ${runStatuses.join(', ')}`);
  return values as RunStatus[];
}

/** --workers N: runs to train at once; the use case checks it against this machine's cores. undefined when absent. */
export function workersFlag(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--workers ${JSON.stringify(raw)}: allowed: a positive integer (runs trained at once)`);
  }
  return n;
}
