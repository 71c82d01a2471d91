import { describe, expect, it } from 'vitest';
import { defaultConfig, experimentConfigSchema } from '../../../src-shared/config';
import { fields, formatValue, parseValue, splitSweepText } from './config-fields';

describe('the New experiment form fields', () => {
  it('has a field for every engine parameter, once', () => {
    expect(fields.map((f) => f.key).sort()).toEqual(Object.keys(experimentConfigSchema.shape).sort());
  });

  it('round-trips every default value through its text', () => {
    for (const f of fields) {
      const parsed = parseValue(f.key, formatValue(f.key, defaultConfig[f.key]));
      expect(parsed, f.key).toEqual({ ok: true, value: defaultConfig[f.key] });
    }
  });

  it('says what is wrong with text that is not a value', () => {
    expect(parseValue('latentDim', 'many')).toEqual({ ok: false, message: '"many" is not a number' });
    expect(parseValue('beta', '')).toEqual({ ok: false, message: 'a value is required' });
    expect(parseValue('hiddenSizes', '512xabc')).toEqual({ ok: false, message: '"abc" is not a number' });
    expect(parseValue('trainSubset', '')).toEqual({ ok: true, value: null });
    expect(parseValue('hiddenSizes', '512, 256')).toMatchObject({ message: /^"512, 256" is a list where one value/ });
  });

  it('splits sweep values at commas; x joins the widths inside one layer list', () => {
    expect(splitSweepText('0, 1,4 ')).toEqual(['0', '1', '4']);
    expect(splitSweepText('512, 256x256')).toEqual(['512', '256x256']);
  });
});
