import { describe, expect, it } from 'vitest';
import { labelColour, labelPalette, runColour, runPalette } from './palette';

describe('runColour', () => {
  it('gives a run the same colour whatever else is shown, so run 8 matches on screen and in a report', () => {
    expect(runColour(8)).toBe(runPalette[7]);
    expect(runColour(8)).toBe('#8c564b');
    expect(runColour(1)).toBe('#0072B2');
  });

  it('gives a dozen consecutive runs a dozen different colours, then starts over', () => {
    const colours = Array.from({ length: 12 }, (_, k) => runColour(20 + k));
    expect(new Set(colours).size).toBe(12);
    expect(runColour(13)).toBe(runColour(1));
  });
});

describe('labelColour', () => {
  it('gives the ten classes ten colours', () => {
    expect(new Set(Array.from({ length: 10 }, (_, k) => labelColour(k))).size).toBe(10);
    expect(labelColour(3)).toBe(labelPalette[3]);
    expect(labelColour(-1)).toBe(labelPalette[9]);
  });
});
