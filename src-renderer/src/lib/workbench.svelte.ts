import type { BackendPreference } from '../../../src-shared/backends';
import { getContext, setContext } from 'svelte';
import type { QueueState, RunProgressEvent, WorkbenchClient, WorkbenchInfo } from '../../../src-shared/api';
import type { ConfigKey } from '../../../src-shared/config';
import type { DatasetChoice } from '../../../src-shared/import';
import { latestTestNll, type NllEstimate } from '../../../src-shared/nll';
import type { NllProgress } from '../../../src-shared/runs';
import { entriesFromRunList, type RunListEntry } from '../../../src-shared/run-list';

/** The top-level views in the order the header shows them; the view names derive from it. */
export const views = [
  { id: 'new', title: 'New experiment' },
  { id: 'queue', title: 'Queue' },
  { id: 'runs', title: 'Runs' },
  { id: 'compare', title: 'Compare' },
  { id: 'latent', title: 'Latent space' },
] as const;

export type ViewId = (typeof views)[number]['id'];

/**
 * Everything the views share: the runs as the store last reported them, the queue, live progress and the
 * selection to compare. Kept current by the API's events, so no view polls.
 */
export class WorkbenchState {
  readonly client: WorkbenchClient;
  info = $state<WorkbenchInfo | null>(null);
  datasets = $state<DatasetChoice[]>([]);
  /**
   * Every run as the list gives it (a run's details come with getRun). Replaced whole on change (raw): with 10,000
   * runs, deep proxies would cost more than they give.
   */
  runs = $state.raw<RunListEntry[]>([]);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt whole from `runs`, never mutated
  runsById = $derived(new Map(this.runs.map((r) => [r.id, r])));
  queue = $state.raw<QueueState>({ paused: false, runIds: [], activeRunId: null, activeRunIds: [] });
  progress = $state.raw<Record<number, RunProgressEvent>>({});
  selected = $state.raw<number[]>([]);
  view = $state<ViewId>('new');
  loaded = $state(false);
  /** Browser mode: the server's event stream is down (the server stopped, the network dropped). */
  disconnected = $state(false);
  /** The last failure, shown until dismissed. */
  error = $state<string | null>(null);
  /** Each run's newest test NLL estimate, by run id. */
  nll = $state.raw<Record<number, NllEstimate>>({});
  /** NLL estimates in progress (and the last state of ones that ended, until the next start), by run id. */
  nllJobs = $state.raw<Record<number, NllProgress>>({});
  /** Runs grouped (over seeds) in Compare and the runs table; the parameters that define a group, null = all but the seed. */
  grouped = $state(false);
  groupKeys = $state.raw<ConfigKey[] | null>(null);
  /** Runs inside the brushed ranges of Compare's parallel coordinates; null when nothing is brushed. */
  brushedRunIds = $state.raw<number[] | null>(null);
  /** The run whose details the Runs view shows (a click on a point in Compare opens it there). */
  focusedRunId = $state<number | null>(null);
  /** Bumped whenever a run's stored data changes, so views that fetch per-run data know to refetch. */
  runVersion = $state.raw<Record<number, number>>({});

  /** Not reactive: ids waiting for the next fetch. */
  private pendingRuns: number[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(client: WorkbenchClient) {
    this.client = client;
    this.viewFromHash();
    // Links and back/forward change only the hash: follow them.
    window.addEventListener('hashchange', this.viewFromHash);
  }

  private viewFromHash = (): void => {
    const fromHash = window.location.hash.replace(/^#\/?/, '');
    if (views.some((v) => v.id === fromHash)) this.view = fromHash as ViewId;
  };

  start = async (): Promise<void> => {
    this.client.on('onRunProgress', (p) => (this.progress = { ...this.progress, [p.runId]: p }));
    this.client.on('onQueueChanged', (q) => (this.queue = q));
    this.client.on('onRunChanged', ({ runId }) => this.runChanged(runId));
    this.client.on('onNllProgress', (p) => {
      this.nllJobs = { ...this.nllJobs, [p.runId]: p };
      if (p.state === 'finished' && p.nll !== null && p.epoch !== null) {
        // Shown at once from the event; the stored estimate (with its time, unknown here) replaces it when fetched.
        const shown = { runId: p.runId, epoch: p.epoch, split: 'test' as const, k: p.k, count: p.total, nll: p.nll };
        this.nll = { ...this.nll, [p.runId]: { ...shown, createdAt: '' } };
        void this.loadNll([p.runId]);
      }
    });
    this.client.onConnection?.((connected) => {
      this.disconnected = !connected;
      if (connected) void this.refresh();
    });
    await this.refresh();
    this.loaded = true;
  };

  refresh = async (): Promise<void> => {
    await this.attempt(async () => {
      const [info, datasets, runs, queue, jobs] = await Promise.all([
        this.client.call('getInfo', {}),
        this.client.call('listDatasets', {}),
        this.client.call('listRuns', {}),
        this.client.call('getQueue', {}),
        this.client.call('listNllJobs', {}),
      ]);
      this.info = info;
      this.datasets = datasets;
      this.runs = entriesFromRunList(runs);
      this.queue = queue;
      this.nllJobs = Object.fromEntries(jobs.map((j) => [j.runId, j]));
    });
    // Not awaited: the NLL column fills in after the table is shown (10,000 runs' estimates take a while to fetch).
    void this.loadNll(this.runs.map((r) => r.id));
  };

  /** Fetches the newest test NLL of these runs (in chunks the contract accepts). */
  loadNll = async (runIds: number[]): Promise<void> => {
    const next = { ...this.nll };
    for (let i = 0; i < runIds.length; i += 5000) {
      const ids = runIds.slice(i, i + 5000);
      const estimates = await this.attempt(() => this.client.call('listNllEstimates', { runIds: ids }));
      // By run first: scanning every estimate for each of 5,000 runs would be quadratic.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local index, not state
      const byRun = new Map<number, NllEstimate[]>();
      for (const e of estimates ?? []) {
        const list = byRun.get(e.runId);
        if (list) list.push(e);
        else byRun.set(e.runId, [e]);
      }
      for (const id of ids) {
        const latest = latestTestNll(byRun.get(id) ?? [], id);
        if (latest) next[id] = latest;
      }
    }
    this.nll = next;
  };

  startNll = async (runId: number, k: number, examples: number | null): Promise<void> => {
    const started = await this.attempt(() => this.client.call('startNllEstimate', { runId, k, examples }));
    if (started) this.nllJobs = { ...this.nllJobs, [runId]: started };
  };

  cancelNll = async (runId: number): Promise<void> => {
    await this.attempt(() => this.client.call('cancelNllEstimate', { runId }));
  };

  openRun = (runId: number): void => {
    this.focusedRunId = runId;
    this.show('runs');
  };

  /** The backend the next runs ask for; the run in training keeps its own. */
  setBackendPreference = async (preference: BackendPreference): Promise<void> => {
    await this.attempt(async () => {
      const backendPreference = await this.client.call('setBackendPreference', preference);
      if (this.info) this.info = { ...this.info, backendPreference };
    });
  };

  show = (view: ViewId): void => {
    this.view = view;
    history.pushState(null, '', `${window.location.pathname}${window.location.search}#/${view}`);
  };

  /** Runs the action and shows its error instead of throwing; returns undefined when it failed. */
  attempt = async <T>(action: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await action();
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      return undefined;
    }
  };

  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt whole from `selected`, never mutated
  private selectedIds = $derived(new Set(this.selected));
  /** O(1): the runs table asks once per visible row and per shown run, with 10,000 runs selected. */
  isSelected = (runId: number): boolean => this.selectedIds.has(runId);

  toggleSelected = (runId: number): void => {
    this.selected = this.isSelected(runId) ? this.selected.filter((id) => id !== runId) : [...this.selected, runId];
  };

  setSelected = (runIds: number[]): void => {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a temporary, to drop repeats in linear time
    this.selected = [...new Set(runIds)];
  };

  /** Replaces one run in the list (after an action returned its new state, or its details were fetched). */
  putRun = (run: RunListEntry): void => {
    const i = this.runs.findIndex((r) => r.id === run.id);
    this.runs = i === -1 ? [...this.runs, run].sort((a, b) => a.id - b.id) : this.runs.with(i, run);
    this.runVersion = { ...this.runVersion, [run.id]: (this.runVersion[run.id] ?? 0) + 1 };
    if (run.status !== 'running' && this.progress[run.id]) {
      const { [run.id]: _gone, ...rest } = this.progress;
      this.progress = rest;
    }
  };

  /** Coalesces bursts of run changes (a sweep queued, an epoch recorded) into one fetch per frame or so. */
  private runChanged(runId: number): void {
    if (!this.pendingRuns.includes(runId)) this.pendingRuns.push(runId);
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => void this.flushRuns(), 100);
  }

  private async flushRuns(): Promise<void> {
    const ids = this.pendingRuns;
    this.pendingRuns = [];
    this.flushTimer = null;
    if (ids.length > 20) {
      const runs = await this.attempt(() => this.client.call('listRuns', {}));
      if (runs) this.runs = entriesFromRunList(runs);
      const bumped = { ...this.runVersion };
      for (const id of ids) bumped[id] = (bumped[id] ?? 0) + 1;
      this.runVersion = bumped;
    } else {
      for (const id of ids) {
        const run = await this.client.call('getRun', { runId: id }).catch(() => undefined);
        if (run) this.putRun(run);
      }
    }
    // A run that just chose its backend is the newest word on which backend is in use.
    const reported = ids
      .map((id) => this.runsById.get(id))
      .find((r) => r?.status === 'running' && r.backend && r.id !== this.info?.backend?.runId);
    if (reported) {
      const info = await this.client.call('getInfo', {}).catch(() => undefined);
      if (info) this.info = info;
    }
  }
}

const key = Symbol('workbench');

export function setWorkbench(state: WorkbenchState): WorkbenchState {
  return setContext(key, state);
}

export function getWorkbench(): WorkbenchState {
  const state = getContext<WorkbenchState | undefined>(key);
  if (!state) throw new Error('getWorkbench() called outside <App>: the workbench state was never set');
  return state;
}
