import { describe, expect, it } from 'vitest';
import { ApiError, methodNames } from '../../src-shared/api';
import { createDispatcher, type Handlers } from './dispatcher';

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
