import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a training process's CPU time goes, per run and phase, for bench:sweep: the process's own start-up (Node,
 * TF.js import; counted for the first run it trains), the backend probe, reading the dataset, training batches,
 * evaluation with the epoch's images, and handing each epoch (with its checkpoint) to the parent. Off unless
 * $VAE_WORKBENCH_PROFILE_DIR names a folder: then each run leaves `<pid>-<run>.json` there.
 */
export const PROFILE_DIR_ENV = 'VAE_WORKBENCH_PROFILE_DIR';

export const PROFILE_PHASES = ['startup', 'backend', 'dataset', 'train', 'evaluate', 'send-epoch'] as const;
export type ProfilePhase = (typeof PROFILE_PHASES)[number];

export interface RunProfile {
  pid: number;
  runId: number;
  /** The process had trained a run before this one (its start-up was paid then). */
  reused: boolean;
  /** CPU seconds (user + system) per phase. */
  cpuSec: Record<ProfilePhase, number>;
  /** Wall seconds per phase. */
  wallSec: Record<ProfilePhase, number>;
}

export interface RunProfiler {
  begin(runId: number, reused: boolean): void;
  /** Charges the time since the last mark to `phase`. */
  phase(phase: Exclude<ProfilePhase, 'startup'>): void;
  end(): void;
}

const zeros = (): Record<ProfilePhase, number> =>
  Object.fromEntries(PROFILE_PHASES.map((p) => [p, 0])) as Record<ProfilePhase, number>;

const cpuNow = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export function runProfiler(dir: string | undefined = process.env[PROFILE_DIR_ENV]): RunProfiler | null {
  if (!dir) return null;
  let current: RunProfile | null = null;
  let cpuMark = 0;
  let wallMark = 0;
  return {
    begin(runId, reused) {
      current = { pid: process.pid, runId, reused, cpuSec: zeros(), wallSec: zeros() };
      cpuMark = cpuNow();
      wallMark = performance.now();
      if (!reused) {
        current.cpuSec.startup = cpuMark;
        current.wallSec.startup = wallMark / 1000;
      }
    },
    phase(phase) {
      if (!current) return;
      const cpu = cpuNow();
      const wall = performance.now();
      current.cpuSec[phase] += cpu - cpuMark;
      current.wallSec[phase] += (wall - wallMark) / 1000;
      cpuMark = cpu;
      wallMark = wall;
    },
    end() {
      if (!current) return;
      try {
        writeFileSync(join(dir, `${process.pid}-${current.runId}.json`), JSON.stringify(current));
      } catch {
        // A profile is a benchmark's aid: never a reason for a run to fail.
      }
      current = null;
    },
  };
}
