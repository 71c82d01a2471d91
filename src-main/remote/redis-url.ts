import type { RedisOptions } from 'ioredis';

/** Where the coordinator and workers meet: connection options for ioredis, and the URL as it may be shown. */
export interface RedisTarget {
  options: RedisOptions;
  /** The URL with its password replaced by ***: the only form ever printed or logged. */
  shown: string;
}

/**
 * The URL with any password replaced by ***, rebuilt from its parts; anything else (another scheme, text that is not
 * a URL, a path that is not a database number) is shown as a placeholder, never as typed: it might hold the secret.
 */
export function maskRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(an unreadable Redis URL)';
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return '(a URL that is not redis:// or rediss://)';
  const user =
    parsed.username === '' && parsed.password === '' ? '' : `${parsed.username}${parsed.password ? ':***' : ''}@`;
  const db = /^(\/\d*)?$/.test(parsed.pathname) ? parsed.pathname : '/(an unreadable database)';
  return `${parsed.protocol}//${user}${parsed.host}${db === '/' ? '' : db}`;
}

/** Removes every occurrence of the secret from a message (errors from ioredis may quote what they were given). */
export function withoutSecret(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('***') : message;
}

/**
 * Reads `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). The password travels only inside the
 * returned options: the URL string itself is never handed to ioredis, so its errors cannot quote it.
 */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `--redis ${maskRedisUrl(url)}: not a URL; allowed: redis://[user:password@]host[:port][/db] or rediss://…`,
    );
  }
  const shown = maskRedisUrl(url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`--redis: the scheme ${parsed.protocol} is not allowed; use redis:// or rediss:// (TLS)`);
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbPart = parsed.pathname.replace(/^\//, '');
  const db = dbPart === '' ? 0 : Number(dbPart);
  if (!Number.isInteger(db) || db < 0) {
    throw new Error(`--redis ${shown}: database ${JSON.stringify(dbPart)} is not a non-negative integer`);
  }
  const options: RedisOptions = {
    host: parsed.hostname,
    port,
    db,
    // BullMQ's workers block on Redis: they must wait for it, never give up on a command.
    maxRetriesPerRequest: null,
  };
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = { servername: parsed.hostname };
  return { options, shown };
}
