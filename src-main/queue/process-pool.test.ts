import { describe, expect, it } from 'vitest';
import type { FromWorker, ToWorker } from '../training/protocol';
import { cpuThreadsPerRun, TrainingProcessPool } from './process-pool';
import type { TrainingProcess } from './types';

/** A stand-in training process: records what it was sent, says what the test makes it say. */
function fakeProcesses() {
  const made: {
    pid: number;
    sent: ToWorker[];
    killed: boolean;
    say: (m: FromWorker) => void;
    exit: (code: number | null, signal: string | null) => void;
  }[] = [];
  const spawn = (): TrainingProcess => {
    const messageListeners: ((m: FromWorker) => void)[] = [];
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    const record = {
      pid: 100 + made.length,
      sent: [] as ToWorker[],
      killed: false,
      say: (m: FromWorker) => messageListeners.forEach((l) => l(m)),
      exit: (code: number | null, signal: string | null) => exitListeners.forEach((l) => l(code, signal)),
    };
    made.push(record);
    return {
      pid: record.pid,
      send: (m) => void record.sent.push(m),
      onMessage: (l) => void messageListeners.push(l),
      onExit: (l) => void exitListeners.push(l),
      kill: () => {
        record.killed = true;
        record.exit(null, 'SIGKILL');
      },
    };
  };
  return { made, spawn };
}

const start = (runId: number): ToWorker =>
  ({ type: 'start', runId, config: {}, dataset: {}, resumeFrom: null, backend: 'wasm' }) as unknown as ToWorker;

function listen(child: TrainingProcess) {
  const heard: string[] = [];
  child.onMessage((m) => heard.push(m.type));
  child.onExit((code, signal) => heard.push(`exit ${code} ${signal}`));
  return heard;
}

describe('training processes kept across runs', () => {
  it("a process that says 'idle' ends its run's lease as a normal exit and trains the next run with the same backend", () => {
    const { made, spawn } = fakeProcesses();
    const pool = new TrainingProcessPool({ spawn, canKeep: (idle) => idle < 1 });
    const first = pool.lease('wasm');
    const heard = listen(first);
    first.send(start(1));
    expect(made[0].sent[0]).toMatchObject({ type: 'start', runId: 1, keepAlive: true });
    made[0].say({ type: 'finished' });
    made[0].say({ type: 'idle' });
    expect(heard).toEqual(['finished', 'exit 0 null']);
    expect(made[0].killed).toBe(false);
    expect(pool.idleProcesses).toBe(1);

    const second = pool.lease('wasm');
    const heardSecond = listen(second);
    expect(second.pid).toBe(made[0].pid);
    expect(pool.processesStarted).toBe(1);
    second.send(start(2));
    made[0].say({ type: 'finished' });
    // The first run's lease has ended: nothing more reaches it.
    expect(heard).toEqual(['finished', 'exit 0 null']);
    expect(heardSecond).toEqual(['finished']);
    // A crash ends the lease with the crash's exit, and the process is not kept.
    made[0].exit(1, null);
    expect(heardSecond).toEqual(['finished', 'exit 1 null']);
    expect(pool.idleProcesses).toBe(0);
    expect(pool.lease('wasm').pid).toBe(made[1].pid);
  });

  it('another backend request gets a new process and ends the waiting one; no room or endIdle ends it too', () => {
    const { made, spawn } = fakeProcesses();
    let room = true;
    const pool = new TrainingProcessPool({ spawn, canKeep: () => room });
    const a = pool.lease('wasm');
    listen(a);
    made[0].say({ type: 'idle' });
    const b = pool.lease('webgpu');
    expect(b.pid).toBe(made[1].pid);
    expect(made[0].killed).toBe(true);
    room = false;
    made[1].say({ type: 'idle' });
    expect(made[1].killed).toBe(true);
    const c = pool.lease('webgpu');
    room = true;
    made[2].say({ type: 'idle' });
    expect(pool.idleProcesses).toBe(1);
    pool.endIdle();
    expect(made[2].killed).toBe(true);
    expect(pool.idleProcesses).toBe(0);
    expect(c.pid).toBe(made[2].pid);
  });

  it('without reuse every run gets its own process, told nothing about staying', () => {
    const { made, spawn } = fakeProcesses();
    const pool = new TrainingProcessPool({ spawn, canKeep: () => true, reuse: false });
    pool.lease('wasm').send(start(1));
    expect(made[0].sent[0]).not.toHaveProperty('keepAlive');
    made[0].exit(0, null);
    pool.lease('wasm');
    expect(pool.processesStarted).toBe(2);
  });
});

describe('cpuThreadsPerRun', () => {
  it("shares the machine's cores evenly among the runs that train at once, at least one thread each", () => {
    expect(cpuThreadsPerRun(1, 8)).toBe(8);
    expect(cpuThreadsPerRun(2, 8)).toBe(4);
    expect(cpuThreadsPerRun(3, 8)).toBe(2);
    expect(cpuThreadsPerRun(2, 2)).toBe(1);
    expect(cpuThreadsPerRun(5, 2)).toBe(1);
    expect(cpuThreadsPerRun(0, 4)).toBe(4);
  });
});
