import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parentPort, PARENT_GONE_EXIT_CODE, type ChildSide } from './parent-port';
import { ACK } from './final-message';

type Send = (message: unknown, handle: undefined, options: undefined, callback: (error: Error | null) => void) => void;

/** A stand-in for `process` as a forked child (send) or an Electron utility process (parentPort) sees it. */
function fakeProcess(kind: 'fork' | 'utility' | 'none', ppid = 4242) {
  const emitter = new EventEmitter();
  const sent: unknown[] = [];
  const pending: (() => void)[] = [];
  const exits: number[] = [];
  const deadPids = new Set<number>();
  const utility = new EventEmitter();
  const send: Send = (message, _handle, _options, callback) => {
    sent.push(message);
    pending.push(() => callback(null));
  };
  const proc = {
    ppid,
    on: (event: string, listener: (...args: unknown[]) => void) => emitter.on(event, listener),
    exit: (code: number) => void exits.push(code),
    kill: (pid: number) => {
      if (deadPids.has(pid)) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
      return true;
    },
    send: kind === 'fork' ? send : undefined,
    parentPort:
      kind === 'utility'
        ? {
            on: (event: 'message', listener: (event: { data: unknown }) => void) => utility.on(event, listener),
            postMessage: (message: unknown) => void sent.push(message),
          }
        : undefined,
  };
  return {
    proc: proc as unknown as ChildSide,
    fake: proc,
    emitter,
    utility,
    sent,
    exits,
    deadPids,
    /** The IPC channel reports the oldest message as written. */
    flushOne: () => pending.shift()?.(),
  };
}

describe('parentPort', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('under fork: sends through process.send, receives process messages, exits once sent messages have left', async () => {
    const child = fakeProcess('fork');
    const port = parentPort<string, string>(child.proc);
    const received: string[] = [];
    port.onMessage((m) => received.push(m));
    child.emitter.emit('message', 'start');
    expect(received).toEqual(['start']);

    const sent = port.send('epoch 1');
    expect(child.sent).toEqual(['epoch 1']);
    port.exit(0);
    await vi.advanceTimersByTimeAsync(10);
    // The message is not yet written: the process waits for it, and hears nothing more meanwhile.
    expect(child.exits).toEqual([]);
    child.emitter.emit('message', 'too late');
    expect(received).toEqual(['start']);
    child.flushOne();
    await sent;
    await vi.advanceTimersByTimeAsync(0);
    expect(child.exits).toEqual([0]);
  });

  it('under utilityProcess: posts to process.parentPort and reads event.data', async () => {
    const child = fakeProcess('utility');
    const port = parentPort<{ id: number }, { id: number }>(child.proc);
    const received: { id: number }[] = [];
    port.onMessage((m) => received.push(m));
    child.utility.emit('message', { data: { id: 7 } });
    await port.send({ id: 8 });
    expect(received).toEqual([{ id: 7 }]);
    expect(child.sent).toEqual([{ id: 8 }]);
    port.exit(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(child.exits).toEqual([1]);
  });

  it("under utilityProcess: a final message waits for the parent's ack, which listeners never see", async () => {
    const child = fakeProcess('utility');
    const port = parentPort<string, string>(child.proc);
    const received: string[] = [];
    port.onMessage((m) => received.push(m));
    let acked: boolean | undefined;
    void port.sendFinal('finished', 1000).then((a) => (acked = a));
    await vi.advanceTimersByTimeAsync(500);
    expect(child.sent).toEqual([{ $child: 'final', message: 'finished' }]);
    expect(acked).toBeUndefined();
    child.utility.emit('message', { data: ACK });
    await vi.advanceTimersByTimeAsync(0);
    expect(acked).toBe(true);
    expect(received).toEqual([]);

    void port.sendFinal('failed', 1000).then((a) => (acked = a));
    await vi.advanceTimersByTimeAsync(1000);
    expect(acked).toBe(false);
  });

  it('refuses a process that has no channel to a parent', () => {
    expect(() => parentPort(fakeProcess('none').proc)).toThrow(/child_process\.fork .* or by Electron utilityProcess/);
  });

  it('exits when the IPC channel closes', () => {
    const child = fakeProcess('fork');
    parentPort(child.proc);
    child.emitter.emit('disconnect');
    expect(child.exits).toEqual([PARENT_GONE_EXIT_CODE]);
  });

  it('exits within seconds when the parent pid is gone, or the process was re-parented', async () => {
    const gone = fakeProcess('utility');
    parentPort(gone.proc);
    await vi.advanceTimersByTimeAsync(3000);
    expect(gone.exits).toEqual([]);
    gone.deadPids.add(4242);
    await vi.advanceTimersByTimeAsync(1000);
    expect(gone.exits[0]).toBe(PARENT_GONE_EXIT_CODE);

    const orphan = fakeProcess('utility');
    parentPort(orphan.proc);
    orphan.fake.ppid = 1;
    await vi.advanceTimersByTimeAsync(1000);
    expect(orphan.exits[0]).toBe(PARENT_GONE_EXIT_CODE);
  });
});
