/**
 * The exit of a child as its parent learns it, reported exactly once to every listener (a late listener hears it at
 * once). Electron's utilityProcess emits no 'exit' for a process that never launched, so the start is time-boxed:
 * without a sign of life within `startTimeoutMs` the child counts as exited, and whoever waits for it is released.
 */
export interface ExitLatch {
  /** The child has launched: the start time-box no longer applies. */
  started(): void;
  exited(code: number | null, signal: string | null): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  readonly hasExited: boolean;
}

/** The reason given (as the signal) when a child did not launch in time. */
export const NEVER_STARTED = 'never-started';

export function exitLatch(startTimeoutMs: number, onStartTimeout: () => void = () => undefined): ExitLatch {
  const listeners: ((code: number | null, signal: string | null) => void)[] = [];
  let outcome: { code: number | null; signal: string | null } | null = null;
  const timer = setTimeout(() => {
    onStartTimeout();
    latch.exited(null, NEVER_STARTED);
  }, startTimeoutMs);
  timer.unref?.();
  const latch: ExitLatch = {
    started: () => clearTimeout(timer),
    exited: (code, signal) => {
      clearTimeout(timer);
      if (outcome) return;
      outcome = { code, signal };
      for (const listener of listeners.splice(0)) listener(code, signal);
    },
    onExit: (listener) => {
      if (outcome) listener(outcome.code, outcome.signal);
      else listeners.push(listener);
    },
    get hasExited() {
      return outcome !== null;
    },
  };
  return latch;
}
