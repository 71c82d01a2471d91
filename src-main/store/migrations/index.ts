import type { Database } from 'better-sqlite3';
import initial from './0001-initial';
import runAdapter from './0002-run-adapter';
import sweepsAndRecovery from './0003-sweeps-and-recovery';
import objectives from './0004-objectives';
import epochTrainedBy from './0005-epoch-trained-by';
import baselinesAndIwae from './0006-baselines-and-iwae';
import settings from './0007-settings';

export interface Migration {
  /** user_version after this step; steps are numbered 1, 2, 3… */
  version: number;
  name: string;
  up: (db: Database) => void;
}

export const migrations: readonly Migration[] = [
  { version: 1, name: '0001-initial', up: initial },
  { version: 2, name: '0002-run-adapter', up: runAdapter },
  { version: 3, name: '0003-sweeps-and-recovery', up: sweepsAndRecovery },
  { version: 4, name: '0004-objectives', up: objectives },
  { version: 5, name: '0005-epoch-trained-by', up: epochTrainedBy },
  { version: 6, name: '0006-baselines-and-iwae', up: baselinesAndIwae },
  { version: 7, name: '0007-settings', up: settings },
];
