import { describe, expect, it } from 'vitest';
import { niceStep } from './axis';

describe('niceStep', () => {
  it('picks the first of 2, 5 or 10 times a power of ten at or above span / count', () => {
    expect(niceStep(100, 5)).toBe(50);
    expect(niceStep(7, 6)).toBe(2);
    expect(niceStep(0.37, 5)).toBeCloseTo(0.1, 12);
    expect(niceStep(530, 6)).toBe(100);
    expect(niceStep(3, 6)).toBe(1);
  });
});
