import { z } from 'zod';
import { formatIssues } from '../../src-shared/config';
import { ApiError, api, isMethodName, type Api, type MethodName, type MethodOutput } from '../../src-shared/api';
import { toApiError } from './errors';

/** One implementation per contract method, receiving input that has already passed the method's schema. */
export type Handlers = {
  [M in MethodName]: (input: z.output<Api[M]['input']>) => MethodOutput<M> | Promise<MethodOutput<M>>;
};

export type Dispatch = (method: string, input: unknown) => Promise<unknown>;

/**
 * The single entry both transports call: refuses names outside the contract, validates the input against the
 * method's schema before the handler runs, and turns every failure into an ApiError ({ name, message }).
 */
export function createDispatcher(handlers: Handlers): Dispatch {
  return async (method, input) => {
    if (!isMethodName(method)) {
      throw new ApiError(
        'UnknownMethod',
        `${JSON.stringify(method)} is not an API method; allowed: ${Object.keys(api).join(', ')}`,
      );
    }
    const parsed = api[method].input.safeParse(input === undefined ? {} : input);
    if (!parsed.success) {
      throw new ApiError('ValidationError', `${method}: ${formatIssues(parsed.error.issues, input)}`);
    }
    const handler = handlers[method] as (input: unknown) => unknown;
    try {
      return await handler(parsed.data);
    } catch (error) {
      throw toApiError(error);
    }
  };
}
