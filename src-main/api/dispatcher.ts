import { formatIssues } from '../../src-shared/config';
import {
  ApiError,
  api,
  isMethodName,
  methodNames,
  type MethodInputParsed,
  type MethodName,
  type MethodOutput,
} from '../../src-shared/api';
import { toApiError } from './errors';

/** One implementation per contract method, receiving input that has already passed the method's schema. */
export type Handlers = {
  [M in MethodName]: (input: MethodInputParsed<M>) => MethodOutput<M> | Promise<MethodOutput<M>>;
};

/** The method name arrives unchecked from a transport: the dispatcher refuses one outside the contract. */
export type Dispatch = (method: unknown, input: unknown) => Promise<unknown>;

/**
 * The single entry both transports call: refuses names outside the contract, validates the input against the
 * method's schema before the handler runs, and turns every failure into an ApiError ({ name, message }).
 */
export function createDispatcher(handlers: Handlers): Dispatch {
  // The type already demands every handler; this catches a table assembled from spreads and casts.
  const missing = methodNames.filter((name) => typeof (handlers as Partial<Handlers>)[name] !== 'function');
  if (missing.length > 0)
    throw new Error(`the API handlers lack ${missing.join(', ')}: every contract method needs one`);
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
