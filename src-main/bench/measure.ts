import { existsSync, readFileSync } from 'node:fs';
import { defaultConfig, parseConfig } from '../../src-shared/config';
import type { ImageDataset } from '../records';
import { trainRun } from '../training/trainer';

/** What one benchmark measurement trains: the workbench's defaults (Adam 1e-3, Bernoulli decoder, z = 20) otherwise. */
export interface Workload {
  arch: 'mlp' | 'conv';
  batchSize: number;
  /** Training examples per epoch (a seeded subset of MNIST's 60,000), or null for all. */
  trainSubset: number | null;
  epochs: number;
}

export interface EpochTiming {
  epoch: number;
  /** Training examples per second of wall time (the test pass and images excluded). */
  examplesPerSec: number;
  /** CPU seconds of this process over the whole epoch, test pass included. */
  cpuSeconds: number;
  wallSeconds: number;
  testElbo: number;
}

/** Trains through the real training loop (trainRun) and reports each epoch's speed. */
export async function measureWorkbench(
  dataset: ImageDataset,
  workload: Workload,
  onEpoch?: (timing: EpochTiming) => void,
): Promise<EpochTiming[]> {
  const config = parseConfig({
    ...defaultConfig,
    architecture: workload.arch,
    batchSize: workload.batchSize,
    epochs: workload.epochs,
    trainSubset: workload.trainSubset,
    // The test pass is not what is measured: keep it short.
    testSubset: 1000,
    checkpointEvery: 10000,
  });
  const timings: EpochTiming[] = [];
  let cpuMark = process.cpuUsage();
  const outcome = await trainRun({
    config,
    dataset,
    resumeFrom: null,
    onEpoch: (r) => {
      const cpu = process.cpuUsage(cpuMark);
      cpuMark = process.cpuUsage();
      const timing: EpochTiming = {
        epoch: r.epoch,
        examplesPerSec: r.examplesPerSec,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        wallSeconds: r.wallTimeSec,
        testElbo: r.test.elbo,
      };
      timings.push(timing);
      onEpoch?.(timing);
    },
  });
  if (outcome.status !== 'finished')
    throw new Error(`benchmark run ended ${outcome.status}: ${JSON.stringify(outcome)}`);
  return timings;
}

/** The 1, 5 and 15 minute load averages: figures measured on a shared machine say what else was running. */
export function loadAverage(): string {
  return existsSync('/proc/loadavg')
    ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    : 'unknown';
}
