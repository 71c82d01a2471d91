import { ApiError, type ApiErrorData } from '../../src-shared/api';
import { ReportError } from '../reports/report';
import { StoreError } from '../store/errors';

/**
 * The one mapping of failures to the names the API reports (the renderer, HTTP status codes and the latent views
 * read them): store failures by their code, ApiErrors and other named errors as they are.
 */
const storeErrorNames: Record<StoreError['code'], string> = {
  'not-found': 'NotFound',
  conflict: 'StateError',
  invalid: 'ValidationError',
  schema: 'StoreError',
  corrupt: 'StoreError',
};

const reportErrorNames: Record<ReportError['code'], string> = {
  'not-found': 'NotFound',
  invalid: 'ValidationError',
  write: 'ReportError',
};

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError) return new ApiError(storeErrorNames[error.code], error.message);
  if (error instanceof ReportError) return new ApiError(reportErrorNames[error.code], error.message);
  if (error instanceof Error) return new ApiError(error.name || 'Error', error.message);
  return new ApiError('Error', String(error));
}

/** What crosses a process or transport boundary: { name, message }. */
export function errorData(error: unknown): ApiErrorData {
  return toApiError(error).toData();
}
