import type { ConfigKey } from '../../../src-shared/config';
import {
  allowedValues,
  formatParameter,
  formatSweep,
  parameter,
  parameterGroups,
  parameters,
  parseFailure,
  parseParameter,
  splitSweep,
  type Parameter,
} from '../../../src-shared/parameters';

/** The New experiment form's fields: the parameter table, in its order and groups. */
export type FieldSpec = Parameter;

export const fields: readonly FieldSpec[] = parameters;
export const fieldGroups = parameterGroups;

/** A config value as the user edits it: 512x256, all, 0.001. */
export function formatValue(key: ConfigKey, value: unknown): string {
  return formatParameter(key, value);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** Text typed into a field → the config value, or why it is not one (the schema then checks ranges). */
export function parseValue(key: ConfigKey, text: string): Parsed {
  const parsed = parseParameter(key, text);
  return parsed.ok ? parsed : { ok: false, message: parseFailure(parsed) };
}

/** A field's message: the key, what is wrong with the text and what the field allows. */
export function fieldMessage(key: ConfigKey, message: string): string {
  return `${key}: ${message}; allowed: ${allowedValues(key)}`;
}

/** Sweep values as typed, comma separated (512, 512x256 is two values); empty pieces are skipped while typing. */
export function splitSweepText(text: string): string[] {
  return splitSweep(text).filter((s) => s !== '');
}

/** The values a field offers when it is first swept; without suggestions, its current text. */
export function sweepSuggestion(key: ConfigKey, current: string): string {
  const values = parameter(key).sweep;
  return values ? formatSweep(key, values) : current;
}

/** Placeholder of a field's text box: an example in the shared syntax. */
export function placeholder(field: FieldSpec, swept: boolean): string {
  const range = field.kind.type === 'number' || field.kind.type === 'integer' ? ', or a range min..max' : '';
  if (swept)
    return field.sweep
      ? `comma separated, e.g. ${formatSweep(field.key, field.sweep)}${range}`
      : `comma separated${range}`;
  if (field.kind.type === 'subset') return 'all';
  if (field.kind.type === 'widths') return `widths joined by x, e.g. ${field.example ?? '512x256'}`;
  return '';
}
