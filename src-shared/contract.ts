import type { z } from 'zod';
import type { NllProgress, RunProgress } from './runs';

/**
 * The building blocks of the API contract (src-shared/api.ts): how a method and an event are declared, the types
 * derived from a declaration, the event table, and the JSON encoding browser mode uses. No run-time imports: the
 * sandboxed preload bundles this file to know the event names.
 */

/** A method's input schema; its output type rides along as a phantom so the client is typed end to end. */
export interface MethodSpec<I extends z.ZodType, O> {
  input: I;
  /** Never read at run time. */
  output?: O;
}

/** `method<Output>()(inputSchema)`: one entry of a contract table. */
export function method<O>() {
  return <I extends z.ZodType>(input: I): MethodSpec<I, O> => ({ input });
}

/** What a caller may send (before the schema's defaults). */
export type SpecInput<S> = S extends MethodSpec<infer I, unknown> ? z.input<I> : never;
/** What a handler receives: the input after the schema (defaults filled in). */
export type SpecInputParsed<S> = S extends MethodSpec<infer I, unknown> ? z.output<I> : never;
export type SpecOutput<S> = S extends MethodSpec<z.ZodType, infer O> ? O : never;

/** An event's declaration; its payload type rides along as a phantom. */
export interface EventSpec<P> {
  /** Never read at run time. */
  payload?: P;
}

export function event<P>(): EventSpec<P> {
  return {};
}

export interface QueueState {
  paused: boolean;
  /** Queued runs in the order they will train. */
  runIds: number[];
  /** The first run in training, if any (kept for callers that show one). */
  activeRunId: number | null;
  /** Every run in training, in this process or another one working the same store. */
  activeRunIds: number[];
}

/** Every event the UI may listen to; the event hub, the preload, the HTTP event stream and the client derive from it. */
export const apiEvents = {
  /** Progress of a run in training (each of them when several train at once): sent every few batches. */
  onRunProgress: event<RunProgress>(),
  /** The queue's order, membership or paused flag changed. */
  onQueueChanged: event<QueueState>(),
  /** A run's status, metrics, notes or tags changed: refetch it. */
  onRunChanged: event<{ runId: number }>(),
  /** An importance-sampled NLL estimate started, progressed, finished, failed or was cancelled. */
  onNllProgress: event<NllProgress>(),
  /** A dataset import read `done` of its `total` images. */
  onImportProgress: event<{ id: string; done: number; total: number }>(),
} as const;

export type EventName = keyof typeof apiEvents;
export type ApiEvents = { [E in EventName]: (typeof apiEvents)[E] extends EventSpec<infer P> ? P : never };
export const eventNames = Object.keys(apiEvents) as EventName[];

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(apiEvents, name);
}

/**
 * JSON that keeps what plain JSON loses. Non-finite numbers travel as {"$nonFinite": "NaN" | "Infinity" |
 * "-Infinity"} (a diverged run's losses must arrive as NaN, not as null); bytes (images, report files) as
 * {"$bytes": "<base64>"} and come back as Uint8Array.
 */
export function encodeJson(value: unknown): string {
  // A replacer is a call per value (3× slower on 10,000 run summaries): take it only when there is something to tag.
  if (!needsTags(value)) return JSON.stringify(value);
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    // The holder's own value: a Buffer has already been through its toJSON by the time `v` arrives.
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Uint8Array) return { $bytes: toBase64(raw) };
    return typeof v === 'number' && !Number.isFinite(v) ? { $nonFinite: String(v) } : v;
  });
}

/** Whether a value holds bytes or a non-finite number; an object with its own toJSON (a Date) counts, to be safe. */
function needsTags(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return false;
  if (v instanceof Uint8Array || typeof (v as { toJSON?: unknown }).toJSON === 'function') return true;
  if (Array.isArray(v)) return v.some(needsTags);
  return Object.values(v).some(needsTags);
}

export function decodeJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // A reviver is a call per value (6× slower on 10,000 run summaries): walk the result only when the text can hold a
  // tag, whose `$` may also arrive escaped.
  return text.includes('$') || text.includes('\\u') ? revive(value) : value;
}

/** JSON.parse's reviver order (children first), replacing in place what the tags stand for. */
function revive(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  const record = v as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const revived = revive(record[key]);
    // defineProperty, not assignment: a "__proto__" key that JSON.parse made an own property must stay one.
    if (revived !== record[key])
      Object.defineProperty(record, key, { value: revived, writable: true, enumerable: true, configurable: true });
  }
  if ('$bytes' in record && typeof record.$bytes === 'string') return fromBase64(record.$bytes);
  if ('$nonFinite' in record) {
    if (record.$nonFinite === 'NaN') return Number.NaN;
    if (record.$nonFinite === 'Infinity') return Number.POSITIVE_INFINITY;
    if (record.$nonFinite === '-Infinity') return Number.NEGATIVE_INFINITY;
  }
  return record;
}

// Base64 (RFC 4648 §4, with padding) by hand: src-shared runs in Node and the browser, with neither Buffer nor atob.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Each ASCII code's 6-bit value; -1 outside the alphabet. */
const VALUES = /* @__PURE__ */ base64Values();

function base64Values(): Int16Array {
  const values = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) values[ALPHABET.charCodeAt(i)] = i;
  return values;
}

export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  // Chunks keep String.fromCharCode's argument list short; 3 bytes → 4 characters, so a chunk is a multiple of 3.
  const chunk = 3 * 8192;
  for (let start = 0; start < bytes.length; start += chunk) {
    const end = Math.min(bytes.length, start + chunk);
    const codes: number[] = [];
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      codes.push(
        ALPHABET.charCodeAt(n >> 18),
        ALPHABET.charCodeAt((n >> 12) & 63),
        ALPHABET.charCodeAt((n >> 6) & 63),
        ALPHABET.charCodeAt(n & 63),
      );
    }
    if (i < end) {
      const n = (bytes[i] << 16) | (i + 1 < end ? bytes[i + 1] << 8 : 0);
      codes.push(ALPHABET.charCodeAt(n >> 18), ALPHABET.charCodeAt((n >> 12) & 63));
      codes.push(i + 1 < end ? ALPHABET.charCodeAt((n >> 6) & 63) : 61, 61);
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0)
    throw new RangeError(`base64 of ${text.length} characters: the length must be a multiple of 4`);
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(i + k);
      const v = c === 61 && i + k >= text.length - padding ? 0 : c < 128 ? VALUES[c] : -1;
      if (v < 0) throw new RangeError(`base64: ${JSON.stringify(text[i + k])} at ${i + k} is not a base64 character`);
      n = (n << 6) | v;
    }
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
