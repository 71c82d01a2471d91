import { describe, expect, it } from 'vitest';
import { whileCurrent } from './while-current';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('whileCurrent', () => {
  it('delivers the result, then settles', async () => {
    const seen: string[] = [];
    whileCurrent(Promise.resolve(7), {
      result: (v) => seen.push(`result ${v}`),
      error: (m) => seen.push(m),
      settled: () => seen.push('settled'),
    });
    await tick();
    expect(seen).toEqual(['result 7', 'settled']);
  });

  it('delivers a failure as its message', async () => {
    const seen: string[] = [];
    whileCurrent(Promise.reject(new Error('no such run')), {
      result: () => seen.push('result'),
      error: (m) => seen.push(m),
    });
    await tick();
    expect(seen).toEqual(['no such run']);
  });

  it('ignores a request superseded before it answered', async () => {
    const seen: string[] = [];
    let answer!: (v: number) => void;
    const cancel = whileCurrent(new Promise<number>((r) => (answer = r)), {
      result: () => seen.push('result'),
      error: () => seen.push('error'),
      settled: () => seen.push('settled'),
    });
    cancel();
    answer(1);
    await tick();
    expect(seen).toEqual([]);
  });
});
