import { describe, expect, it } from 'vitest';
import { maskRedisUrl, parseRedisUrl, withoutSecret } from './redis-url';

describe('Redis URLs', () => {
  it('reads host, port, database, user, password and TLS, and shows the URL with its password masked', () => {
    const target = parseRedisUrl('rediss://lab:p%40ss@redis.example.org:6380/2');
    expect(target.options).toMatchObject({
      host: 'redis.example.org',
      port: 6380,
      db: 2,
      username: 'lab',
      password: 'p@ss',
    });
    expect(target.options.tls).toEqual({ servername: 'redis.example.org' });
    expect(target.shown).toBe('rediss://lab:***@redis.example.org:6380/2');
    expect(parseRedisUrl('redis://127.0.0.1').options).toMatchObject({ port: 6379, db: 0 });
    expect(parseRedisUrl('redis://127.0.0.1').options.password).toBeUndefined();
    expect(parseRedisUrl('redis://:pw@127.0.0.1:6393').shown).toBe('redis://:***@127.0.0.1:6393');
    expect(parseRedisUrl('redis://127.0.0.1/').shown).toBe('redis://127.0.0.1');
  });

  it('refuses other schemes and bad databases, never quoting the password', () => {
    expect(() => parseRedisUrl('http://u:hunter2@h')).toThrow(/scheme http: is not allowed/);
    expect(() => parseRedisUrl('redis://:hunter2@h/x')).toThrow(/database "x"/);
    for (const bad of ['http://u:hunter2@h', 'redis://:hunter2@h/x', 'not a url hunter2']) {
      expect(() => parseRedisUrl(bad)).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
      );
    }
    expect(maskRedisUrl('garbage:hunter2')).not.toContain('hunter2');
    expect(withoutSecret('NOAUTH hunter2 wrong', 'hunter2')).toBe('NOAUTH *** wrong');
  });
});
