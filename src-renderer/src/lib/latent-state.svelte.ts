import { getContext, setContext } from 'svelte';
import type { CheckpointInfo } from '../../../src-shared/runs';
import type { RunListEntry } from '../../../src-shared/run-list';
import type { WorkbenchState } from './workbench.svelte';
import { latentCandidates } from './latent-candidates';

/** The latent tabs in the order they are shown; the tab names derive from it. */
export const latentTabs = [
  { id: 'manifold', title: 'Manifold' },
  { id: 'side-by-side', title: 'Side by side' },
  { id: 'explorer', title: 'Explorer' },
  { id: 'scatter', title: 'Scatter' },
  { id: 'traversals', title: 'Traversals' },
  { id: 'interpolation', title: 'Interpolation' },
] as const;

export type LatentTab = (typeof latentTabs)[number]['id'];

/**
 * What the latent views share: the run and checkpoint looked at, and the explorer's current code, which the scatter
 * view sets on a click and the manifold and traversal views may hold the other dimensions at.
 */
export class LatentState {
  tab = $state<LatentTab>('manifold');
  runId = $state<number | null>(null);
  /** A stored checkpoint's epoch; null means the run's newest. */
  epoch = $state<number | null>(null);
  checkpoints = $state.raw<CheckpointInfo[]>([]);
  /** The explorer's latent code (latentDim values), and where it came from. */
  code = $state.raw<number[] | null>(null);
  codeSource = $state('prior mean');

  run: RunListEntry | null;
  latentDim: number;
  /** Runs with at least one finished epoch (so a checkpoint): the compare selection, then the newest (see latentCandidates). */
  candidates: RunListEntry[];
  /** The code when it fits the run, else null (another run was picked since). */
  codeForRun: number[] | null;
  /** The epoch the views ask for: the chosen one, or the newest stored checkpoint. */
  shownEpoch: number | null;

  constructor(readonly wb: WorkbenchState) {
    this.run = $derived(this.runId === null ? null : (wb.runsById.get(this.runId) ?? null));
    this.latentDim = $derived(this.run?.config.latentDim ?? 0);
    this.candidates = $derived(latentCandidates(wb.runs, wb.selected, this.runId));
    this.codeForRun = $derived(this.code !== null && this.code.length === this.latentDim ? this.code : null);
    this.shownEpoch = $derived(
      this.epoch ?? (this.checkpoints.length > 0 ? this.checkpoints[this.checkpoints.length - 1].epoch : null),
    );
  }

  selectRun = async (runId: number | null): Promise<void> => {
    this.runId = runId;
    this.epoch = null;
    this.checkpoints = [];
    if (runId === null) return;
    await this.refreshCheckpoints();
  };

  refreshCheckpoints = async (): Promise<void> => {
    const runId = this.runId;
    if (runId === null) return;
    const list = await this.wb.attempt(() => this.wb.client.call('listCheckpoints', { runId }));
    if (list && this.runId === runId) {
      this.checkpoints = list;
      if (this.epoch !== null && !list.some((c) => c.epoch === this.epoch)) this.epoch = null;
    }
  };

  /** Picks the first candidate when nothing (or a run that no longer qualifies) is chosen. */
  ensureRun = (): void => {
    if (this.runId !== null && this.candidates.some((r) => r.id === this.runId)) return;
    void this.selectRun(this.candidates[0]?.id ?? null);
  };

  setCode = (code: number[], source: string): void => {
    this.code = code;
    this.codeSource = source;
  };

  sendToExplorer = (code: number[], source: string): void => {
    this.setCode(code, source);
    this.tab = 'explorer';
  };
}

const key = Symbol('latent-state');

export function setLatentState(state: LatentState): LatentState {
  return setContext(key, state);
}

export function getLatentState(): LatentState {
  const state = getContext<LatentState | undefined>(key);
  if (!state) throw new Error('getLatentState: no LatentState in context; render the view inside LatentView');
  return state;
}
