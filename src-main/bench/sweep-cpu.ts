import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerCpu } from '../queue/runner';
import { PROFILE_PHASES, type RunProfile } from '../training/run-profile';
import { pidIsAlive } from '../queue/runner';

/**
 * Where a sweep's CPU time goes, for bench:sweep: CPU seconds are robust to other work on the machine where wall-clock
 * throughput is not. The parent's own (process.cpuUsage) and its children's (the training processes, reaped, as the
 * kernel counts them in /proc/self/stat), and the training processes' phases from their profile files.
 */

/** CPU seconds of this process's waited-for children so far (Linux); null elsewhere. */
export function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: cutime and cstime are 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100;
    return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
  } catch {
    return null;
  }
}

export const ownCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export function readProfiles(dir: string): RunProfile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as RunProfile);
}

/** Resolves once none of these processes is left (reaped), or after `limitMs`. */
export async function processesGone(pids: number[], limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (pids.some(pidIsAlive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

export interface SweepCpu {
  runs: number;
  /** This process (the coordinator: the queue runner and the store; over Redis, the workers' side too). */
  parentSec: number;
  /** The training processes (and, over Redis, redis-server); null where the platform does not say. */
  childrenSec: number | null;
  runner: RunnerCpu;
  profiles: RunProfile[];
}

const f2 = (x: number): string => x.toFixed(2);

/** Lines that say where the CPU went, per run. */
export function describeSweepCpu(cpu: SweepCpu): string[] {
  const perRun = (x: number): string => f2(x / cpu.runs);
  const total = cpu.parentSec + (cpu.childrenSec ?? 0);
  const lines = [
    `  CPU per run: ${cpu.childrenSec === null ? '?' : perRun(total)} s = coordinator ${perRun(cpu.parentSec)} s + ` +
      `child processes ${cpu.childrenSec === null ? '? (no /proc here)' : `${perRun(cpu.childrenSec)} s`}; ` +
      `${new Set(cpu.profiles.map((p) => p.pid)).size} training process(es) trained the ${cpu.runs} runs`,
    `  coordinator per run: store writes of epochs ${perRun(cpu.runner.recordEpochSec)} s, progress ` +
      `${perRun(cpu.runner.progressSec)} s (${(cpu.runner.batchMessages / cpu.runs).toFixed(0)} batch messages), rest ` +
      `${perRun(cpu.parentSec - cpu.runner.recordEpochSec - cpu.runner.progressSec)} s (start-up, messages, timers)`,
  ];
  if (cpu.profiles.length > 0) {
    const phases = PROFILE_PHASES.map((phase) => {
      const cpuSec = cpu.profiles.reduce((sum, p) => sum + p.cpuSec[phase], 0);
      const wallSec = cpu.profiles.reduce((sum, p) => sum + p.wallSec[phase], 0);
      return `${phase} ${perRun(cpuSec)} (${perRun(wallSec)} wall)`;
    });
    lines.push(`  training processes per run, CPU s (wall s): ${phases.join(', ')}`);
  }
  return lines;
}
