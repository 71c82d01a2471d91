import { describe, expect, it } from 'vitest';
import { layoutRateDistortion, rateDistortionSvg, type RdPointInput } from './rate-distortion';

const point = (id: string, rate: number, distortion: number, extra: Partial<RdPointInput> = {}): RdPointInput => ({
  id,
  label: id,
  color: '#000',
  rate,
  distortion,
  trajectory: [],
  n: 1,
  ...extra,
});

describe('rate–distortion layout', () => {
  const layout = layoutRateDistortion({
    points: [
      point('β = 4', 5, 150, {
        trajectory: [
          { epoch: 1, rate: 8, distortion: 190 },
          { epoch: 2, rate: 5, distortion: 150 },
        ],
      }),
      point('β = 1', 20, 110),
      point('β = 0.5', 30, 95, { rateStd: 2, distortionStd: 1 }),
    ],
    width: 400,
    height: 300,
  });
  // Invert the axes from two ticks: px = a + b·value.
  const inverse = (t: { value: number; px: number }[]) => {
    const [p, q] = [t[0], t[t.length - 1]];
    const b = (q.px - p.px) / (q.value - p.value);
    return (px: number) => p.value + (px - p.px) / b;
  };
  const rateAt = inverse(layout.xTicks);
  const distortionAt = inverse(layout.yTicks);

  it('puts each point at (rate, distortion) and the rate axis from 0', () => {
    expect(layout.xTicks[0].value).toBe(0);
    for (const p of layout.points) {
      expect(rateAt(p.x)).toBeCloseTo(p.rate, 9);
      expect(distortionAt(p.y)).toBeCloseTo(p.distortion, 9);
    }
    // Higher distortion is higher on screen (smaller y).
    expect(layout.points[0].y).toBeLessThan(layout.points[1].y);
    expect(layout.points[0].trajectory).toHaveLength(2);
  });

  it('draws iso-ELBO lines on which R + D is constant, inside the plot', () => {
    expect(layout.isoLines.length).toBeGreaterThanOrEqual(3);
    const { plot } = layout;
    for (const l of layout.isoLines) {
      expect(rateAt(l.x1) + distortionAt(l.y1)).toBeCloseTo(l.value, 6);
      expect(rateAt(l.x2) + distortionAt(l.y2)).toBeCloseTo(l.value, 6);
      for (const [x, y] of [
        [l.x1, l.y1],
        [l.x2, l.y2],
      ]) {
        expect(x).toBeGreaterThanOrEqual(plot.left - 1e-6);
        expect(x).toBeLessThanOrEqual(plot.right + 1e-6);
        expect(y).toBeGreaterThanOrEqual(plot.top - 1e-6);
        expect(y).toBeLessThanOrEqual(plot.bottom + 1e-6);
      }
      // Slope −1 in data units: the line goes down and to the right.
      expect(l.x2).toBeGreaterThan(l.x1);
      expect(l.y2).toBeGreaterThan(l.y1);
    }
  });

  it('draws a group error bar of ± one std in data units', () => {
    const p = layout.points[2];
    expect(rateAt(p.x + p.dx) - p.rate).toBeCloseTo(2, 9);
    expect(distortionAt(p.y - p.dy) - p.distortion).toBeCloseTo(1, 9);
  });

  it('leaves non-finite points out and escapes labels in the SVG', () => {
    const l = layoutRateDistortion({ points: [point('<a>', NaN, 1), point('b&c', 1, 2)], width: 300, height: 200 });
    expect(l.points.map((p) => p.id)).toEqual(['b&c']);
    const svg = rateDistortionSvg(l);
    expect(svg).toContain('b&amp;c');
    expect(svg).not.toContain('<a>');
  });
});

describe('labels near the right edge', () => {
  it('go to the left of their point rather than off the figure', () => {
    const l = layoutRateDistortion({
      points: [point('left', 1, 100), point('model = vae, β = 1, IWAE k = 1', 10, 90)],
      width: 400,
      height: 300,
    });
    const right = l.points[1];
    expect(right.labelX).toBeLessThan(right.x);
    expect(right.labelX + right.label.length * 6.4).toBeLessThanOrEqual(right.x);
    expect(l.points[0].labelX).toBeGreaterThan(l.points[0].x);
  });
});
