import { describe, expect, it } from 'vitest';
import { ApiError, methodNames } from '../../src-shared/api';
import { createDispatcher, nestingDepth, type Handlers } from './dispatcher';

/** A table answering every contract method with its own name. */
function echoHandlers(): Handlers {
  return Object.fromEntries(methodNames.map((name) => [name, () => name])) as unknown as Handlers;
}

describe('dispatcher', () => {
  it('refuses a handler table that lacks a contract method, naming it', () => {
    const { latentDecode: _dropped, getRun: _alsoDropped, ...rest } = echoHandlers();
    expect(() => createDispatcher(rest as Handlers)).toThrow(
      /lack getRun, latentDecode: every contract method needs one/,
    );
  });

  it('validates the input against the contract before the handler runs', async () => {
    const dispatch = createDispatcher(echoHandlers());
    await expect(dispatch('getRun', { runId: 3 })).resolves.toBe('getRun');
    await expect(dispatch('getRun', { runId: 0 })).rejects.toBeInstanceOf(ApiError);
    await expect(dispatch('latentDecode', { runId: 1, codes: [] })).rejects.toMatchObject({ name: 'ValidationError' });
  });
});

describe('nestingDepth', () => {
  it('counts how deep objects and arrays nest, without recursing, and stops past the limit', () => {
    expect(nestingDepth(1, 32)).toBe(0);
    expect(nestingDepth({}, 32)).toBe(1);
    expect(nestingDepth({ a: [1, { b: [] }] }, 32)).toBe(4);
    expect(nestingDepth({ images: new Uint8Array(10) }, 32)).toBe(1);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestingDepth(deep, 32)).toBe(33);
  });
});
