import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exitLatch, NEVER_STARTED } from './exit-latch';

describe('exitLatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reports a child that never launched as exited after the start limit, and gives up on it once', async () => {
    const giveUp = vi.fn();
    const latch = exitLatch(5000, giveUp);
    const heard: [number | null, string | null][] = [];
    latch.onExit((code, signal) => heard.push([code, signal]));
    await vi.advanceTimersByTimeAsync(4999);
    expect(heard).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(heard).toEqual([[null, NEVER_STARTED]]);
    expect(giveUp).toHaveBeenCalledTimes(1);
    // The kill's own exit afterwards is not reported a second time.
    latch.exited(1, null);
    expect(heard).toHaveLength(1);
  });

  it('a child that launched is not timed out, and its exit reaches early and late listeners once', async () => {
    const giveUp = vi.fn();
    const latch = exitLatch(5000, giveUp);
    const early = vi.fn();
    latch.onExit(early);
    latch.started();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(giveUp).not.toHaveBeenCalled();
    expect(latch.hasExited).toBe(false);
    latch.exited(0, null);
    latch.exited(0, null);
    const late = vi.fn();
    latch.onExit(late);
    expect(early).toHaveBeenCalledTimes(1);
    expect(late).toHaveBeenCalledWith(0, null);
  });
});
