import { describe, expect, it } from 'vitest';
import { defaultConfig, experimentConfigSchema } from '../../../src-shared/config';
import { fields, formatValue, parseValue, splitSweepText } from './config-fields';

describe('the New experiment form fields', () => {
  it('has a field for every engine parameter, once', () => {
    expect(fields.map((f) => f.key).sort()).toEqual(Object.keys(experimentConfigSchema.shape).sort());
  });

  it('round-trips every default value through its text', () => {
    for (const f of fields) {
      const parsed = parseValue(f.kind, formatValue(f.kind, defaultConfig[f.key]));
      expect(parsed, f.key).toEqual({ ok: true, value: defaultConfig[f.key] });
    }
  });

  it('says what is wrong with text that is not a value', () => {
    expect(parseValue('int', 'many')).toEqual({ ok: false, message: '"many" is not a number' });
    expect(parseValue('number', '')).toEqual({ ok: false, message: 'a value is required' });
    expect(parseValue('int-list', '512, x')).toEqual({ ok: false, message: '"x" is not a number' });
    expect(parseValue('optional-int', '')).toEqual({ ok: true, value: null });
  });

  it('splits sweep values: commas for numbers, "|" between layer lists', () => {
    expect(splitSweepText('number', '0, 1,4 ')).toEqual(['0', '1', '4']);
    expect(splitSweepText('int-list', '512 | 256, 256')).toEqual(['512', '256, 256']);
  });
});
