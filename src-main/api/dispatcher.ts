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

/**
 * No method's input is nested more than a few levels; a deeper one is refused before validation, whose recursion
 * (and that of any message quoting the value) would otherwise overflow the stack.
 */
export const MAX_INPUT_DEPTH = 32;

/** How deep objects and arrays nest in `value`, counted without recursion and up to `limit` + 1. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null || ArrayBuffer.isView(current)) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) stack.push([child, level]);
  }
  return deepest;
}

/** An unknown method name as quoted in the refusal: a string cut short, anything else by its kind. */
function methodShown(method: unknown): string {
  if (typeof method !== 'string')
    return `a ${method === null ? 'null' : Array.isArray(method) ? 'array' : typeof method}`;
  const quoted = JSON.stringify(method);
  return quoted.length > 80 ? `${quoted.slice(0, 60)}…" (${method.length} characters)` : quoted;
}

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
        `${methodShown(method)} is not an API method; allowed: ${Object.keys(api).join(', ')}`,
      );
    }
    const depth = nestingDepth(input, MAX_INPUT_DEPTH);
    if (depth > MAX_INPUT_DEPTH) {
      throw new ApiError(
        'ValidationError',
        `${method}: the input is nested more than ${MAX_INPUT_DEPTH} levels deep; no method takes more than a few`,
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
