import { describe, expect, it } from 'vitest';
import { rendererCsp, rendererCspHeader } from './csp';

describe('renderer CSP', () => {
  it('allows scripts only from the app and images from data: and blob: URLs', () => {
    expect(rendererCsp).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'",
    );
  });

  it('sends the same policy as a header, plus frame-ancestors which a meta tag ignores', () => {
    expect(rendererCspHeader).toBe(`${rendererCsp}; frame-ancestors 'none'`);
    expect(rendererCsp).not.toContain('frame-ancestors');
  });
});
