/**
 * A child process as its parent sees it, whatever started it: child_process.fork (CLI, browser mode, tests, benchmarks)
 * or Electron's utilityProcess (desktop app). ToChild and FromChild are the two directions of its message protocol.
 */
export interface ChildHandle<ToChild, FromChild> {
  readonly pid: number | undefined;
  /** Dropped once the process has exited: a dead child has nobody to read it. */
  send(message: ToChild): void;
  /**
   * Every message, in order. A final message (the child's sendFinal) is acknowledged to the child once every listener
   * has returned (or its promise settled), so the child exits only after its parent has handled it.
   */
  onMessage(listener: (message: FromChild) => void): void;
  /** Called once when the process ends, by itself or killed; code null when killed by a signal. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}
