import { describe, expect, it } from 'vitest';
import { pickTransport, preloadFailedMessage } from './client';

describe('pickTransport', () => {
  it('uses the bridge when the preload exposed it, HTTP on a served page', () => {
    expect(pickTransport(true, 'file:')).toBe('ipc');
    expect(pickTransport(false, 'http:')).toBe('http');
  });

  it('on a file: page without the bridge says the preload failed instead of trying HTTP', () => {
    expect(pickTransport(false, 'file:')).toBe('no-preload');
    expect(preloadFailedMessage).toMatch(/preload script \(out\/preload\/index\.js\) did not load/);
  });
});
