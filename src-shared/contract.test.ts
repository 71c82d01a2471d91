import { describe, expect, it } from 'vitest';
import { apiEvents, decodeJson, encodeJson, eventNames, fromBase64, isEventName, toBase64 } from './contract';

/** The platform's encoder, for comparison only (src-shared code itself uses neither btoa nor Buffer). */
function referenceBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 8192) binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(binary);
}

/** Bytes that, like Node's Buffer, turn into something else through toJSON before a replacer sees them. */
class BytesWithToJson extends Uint8Array {
  toJSON(): unknown {
    return { type: 'Buffer', data: [...this] };
  }
}

function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('base64', () => {
  it('encodes the empty array as the empty string and back', () => {
    expect(toBase64(new Uint8Array(0))).toBe('');
    expect(fromBase64('')).toEqual(new Uint8Array(0));
  });

  it('matches RFC 4648 for lengths 0, 1 and 2 mod 3 (padding)', () => {
    const text = new TextEncoder().encode('foobar');
    const expected = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy'];
    for (let n = 0; n <= 6; n++) {
      expect(toBase64(text.subarray(0, n))).toBe(expected[n]);
      expect(fromBase64(expected[n])).toEqual(text.slice(0, n));
    }
  });

  it('round-trips every byte value and agrees with btoa for many lengths', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64(toBase64(all))).toEqual(all);
    for (let n = 0; n < 40; n++) {
      const bytes = pseudoRandomBytes(n, n + 7);
      expect(toBase64(bytes)).toBe(referenceBase64(bytes));
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    }
  });

  it('encodes a view, not its whole buffer', () => {
    const buffer = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(fromBase64(toBase64(buffer.subarray(2, 5)))).toEqual(Uint8Array.from([3, 4, 5]));
  });

  it('round-trips 1 MB quickly', () => {
    const bytes = pseudoRandomBytes(1 << 20);
    const start = performance.now();
    const text = toBase64(bytes);
    const back = fromBase64(text);
    const ms = performance.now() - start;
    expect(text).toBe(referenceBase64(bytes));
    expect(back).toEqual(bytes);
    expect(ms).toBeLessThan(1000);
  });

  it('refuses text that is not base64, naming the character', () => {
    expect(() => fromBase64('abc')).toThrow(/length must be a multiple of 4/);
    expect(() => fromBase64('ab*d')).toThrow(/"\*" at 2 is not a base64 character/);
    expect(() => fromBase64('a=bc')).toThrow(/"=" at 1/);
  });
});

describe('JSON encoding', () => {
  it('tags bytes once and decodes them as Uint8Array, Buffers included', () => {
    const value = {
      image: Uint8Array.from([0, 127, 255]),
      nested: [{ pdf: BytesWithToJson.from(new TextEncoder().encode('%PDF')) }],
      empty: new Uint8Array(0),
    };
    const text = encodeJson(value);
    expect(JSON.parse(text)).toEqual({
      image: { $bytes: 'AH//' },
      nested: [{ pdf: { $bytes: 'JVBERg==' } }],
      empty: { $bytes: '' },
    });
    const back = decodeJson(text) as { image: Uint8Array; nested: [{ pdf: Uint8Array }]; empty: Uint8Array };
    expect(back.image).toBeInstanceOf(Uint8Array);
    expect(back.image).toEqual(Uint8Array.from([0, 127, 255]));
    expect(new TextDecoder().decode(back.nested[0].pdf)).toBe('%PDF');
    expect(back.empty).toHaveLength(0);
  });

  it('keeps NaN and ±Infinity beside bytes', () => {
    const back = decodeJson(encodeJson({ loss: [Number.NaN, -Infinity], x: Uint8Array.of(9) })) as {
      loss: number[];
      x: Uint8Array;
    };
    expect(back.loss[0]).toBeNaN();
    expect(back.loss[1]).toBe(-Infinity);
    expect(back.x).toEqual(Uint8Array.of(9));
  });

  it('decodes what the replacer and reviver would, with or without tags in the text', () => {
    // Texts JSON.parse's own reviver decodes: the fast paths must agree with it.
    const reference = (text: string): unknown =>
      JSON.parse(text, (_key, v: unknown) => {
        if (typeof v !== 'object' || v === null) return v;
        if ('$nonFinite' in v) return Number(v.$nonFinite);
        if ('$bytes' in v && typeof v.$bytes === 'string') return fromBase64(v.$bytes);
        return v;
      });
    const texts = [
      '{"runs":[{"id":1,"last":{"elbo":-93.5},"tags":["a"]}],"n":null}',
      '{"runs":[{"id":1,"last":{"elbo":{"$nonFinite":"NaN"}}}],"note":"$5"}',
      // A `$` escaped in a key is still a tag once parsed.
      '{"loss":{"\\u0024nonFinite":"-Infinity"},"x":[{"$bytes":"CQ=="}]}',
    ];
    for (const text of texts) expect(decodeJson(text)).toEqual(reference(text));
    expect((decodeJson(texts[2]) as { loss: number }).loss).toBe(-Infinity);
  });

  it('keeps a "__proto__" key an own property when it revives beside it', () => {
    const back = decodeJson('{"__proto__":{"polluted":{"$nonFinite":"NaN"}},"loss":{"$nonFinite":"NaN"}}') as Record<
      string,
      unknown
    >;
    expect(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((back['__proto__'] as { polluted: number }).polluted).toBeNaN();
  });

  it('encodes plain values exactly as JSON.stringify does', () => {
    const value = { runs: [{ id: 1, config: { hiddenSizes: [512, 256] }, name: 'β = 4', best: null }], when: 'now' };
    expect(encodeJson(value)).toBe(JSON.stringify(value));
    expect(encodeJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('events', () => {
  it('derives the event names from the one declaration', () => {
    expect(eventNames).toEqual(Object.keys(apiEvents));
    expect(eventNames).toContain('onQueueChanged');
    expect(isEventName('onRunChanged')).toBe(true);
    expect(isEventName('toString')).toBe(false);
  });
});
