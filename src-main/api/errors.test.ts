import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-shared/api';
import { ReportError } from '../reports/report';
import { StoreError, type StoreErrorCode } from '../store/errors';
import { errorData, toApiError } from './errors';

describe('errors to API error names', () => {
  it('names store failures by their code; a conflict is a StateError', () => {
    const names: Record<StoreErrorCode, string> = {
      'not-found': 'NotFound',
      conflict: 'StateError',
      invalid: 'ValidationError',
      schema: 'StoreError',
      corrupt: 'StoreError',
    };
    for (const [code, name] of Object.entries(names)) {
      const mapped = toApiError(new StoreError(code as StoreErrorCode, `store said ${code}`));
      expect(mapped).toBeInstanceOf(ApiError);
      expect(mapped.toData()).toEqual({ name, message: `store said ${code}` });
    }
  });

  it('names report failures by their code: an unknown run is NotFound, an empty selection a ValidationError', () => {
    expect(errorData(new ReportError('no run 9 in this database', 'not-found'))).toEqual({
      name: 'NotFound',
      message: 'no run 9 in this database',
    });
    expect(errorData(new ReportError('the selection is empty', 'invalid')).name).toBe('ValidationError');
    expect(errorData(new ReportError('cannot write the report into /x: EACCES')).name).toBe('ReportError');
  });

  it('passes an ApiError through as it is', () => {
    const error = new ApiError('Forbidden', 'not from this window');
    expect(toApiError(error)).toBe(error);
    expect(errorData(error)).toEqual({ name: 'Forbidden', message: 'not from this window' });
  });

  it('keeps the name of any other error, Error when it has none', () => {
    expect(errorData(new RangeError('latentDim = 0: must be at least 1'))).toEqual({
      name: 'RangeError',
      message: 'latentDim = 0: must be at least 1',
    });
    const nameless = new Error('no name');
    nameless.name = '';
    expect(errorData(nameless)).toEqual({ name: 'Error', message: 'no name' });
  });

  it('turns a thrown non-Error into an Error with its text', () => {
    expect(errorData('plain text')).toEqual({ name: 'Error', message: 'plain text' });
    expect(errorData(42)).toEqual({ name: 'Error', message: '42' });
    expect(errorData(undefined)).toEqual({ name: 'Error', message: 'undefined' });
  });
});
