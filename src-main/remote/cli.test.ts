import { afterEach, describe, expect, it } from 'vitest';
import { desktopRedisTarget, lockDurationFromEnv, REDIS_URL_ENV, redisFlag } from './cli';

describe("the desktop app's --redis, read as serve reads it", () => {
  const saved = process.env[REDIS_URL_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[REDIS_URL_ENV];
    else process.env[REDIS_URL_ENV] = saved;
  });

  it('finds --redis URL and --redis=URL among Electron’s own arguments; none without the flag', () => {
    const electron = ['/opt/vae/vae-workbench', '--no-sandbox', '--db', '/tmp/x.db'];
    expect(redisFlag([...electron, '--redis', 'redis://lab:6380/1'])).toBe('redis://lab:6380/1');
    expect(redisFlag([...electron, '--redis=rediss://h'])).toBe('rediss://h');
    expect(redisFlag(electron)).toBeUndefined();
    expect(desktopRedisTarget(electron)).toBeNull();
    const target = desktopRedisTarget([...electron, '--redis', 'redis://:s3cret@127.0.0.1:6390/2']);
    expect(target?.options).toMatchObject({ host: '127.0.0.1', port: 6390, db: 2, password: 's3cret' });
    expect(target?.shown).toBe('redis://:***@127.0.0.1:6390/2');
  });

  it('reads --redis env from $VAE_WORKBENCH_REDIS, as the CLI does', () => {
    process.env[REDIS_URL_ENV] = 'redis://:from-env@10.0.0.5';
    expect(desktopRedisTarget(['app', '--redis', 'env'])?.options).toMatchObject({
      host: '10.0.0.5',
      password: 'from-env',
    });
    delete process.env[REDIS_URL_ENV];
    expect(() => desktopRedisTarget(['app', '--redis', 'env'])).toThrow(/\$VAE_WORKBENCH_REDIS is not set/);
  });

  it('refuses a missing or bad URL with an error that names the problem and never the password', () => {
    expect(() => desktopRedisTarget(['app', '--redis'])).toThrow(/--redis needs a URL/);
    expect(() => desktopRedisTarget(['app', '--redis', '--db', 'x.db'])).toThrow(/--redis needs a URL/);
    expect(() => desktopRedisTarget(['app', '--redis', 'http://u:hunter2@h'])).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/scheme http: is not allowed/) }),
    );
    expect(() => desktopRedisTarget(['app', '--redis=redis://:hunter2@h/x'])).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('the job lock duration from the environment', () => {
  it('takes an integer of ms from 500 on, defaults to BullMQ’s, and names a bad value', () => {
    expect(lockDurationFromEnv(undefined)).toBeUndefined();
    expect(lockDurationFromEnv('')).toBeUndefined();
    expect(lockDurationFromEnv('1500')).toBe(1500);
    for (const bad of ['100', '1.5', 'soon']) {
      expect(() => lockDurationFromEnv(bad)).toThrow(new RegExp(`VAE_WORKBENCH_LOCK_MS = "${bad}": allowed`));
    }
  });
});
