import {
  defaultConfig,
  experimentConfigSchema,
  formatIssues,
  type ConfigKey,
  type ExperimentConfig,
} from '../../../src-shared/config';
import { MAX_SWEEP_RUNS, sweepSize, type SweepAxes, type SweepRanges, type SweepSpec } from '../../../src-shared/sweep';
import { isRangeText, readRange } from '../../../src-shared/parameters';
import type { DatasetChoice } from '../../../src-shared/import';
import { fieldMessage, fields, formatValue, parseValue, splitSweepText, sweepSuggestion } from './config-fields';

type PerField<T> = Partial<Record<ConfigKey, T>>;

function defaultName(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `experiment ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The New experiment form: text as typed per parameter, optional sweep value lists, and validation by the same
 * zod schema the main process and the CLI use, so what the form accepts the API accepts.
 */
export class ExperimentForm {
  experimentName = $state(defaultName());
  text = $state<Record<ConfigKey, string>>(
    Object.fromEntries(fields.map((f) => [f.key, formatValue(f.key, defaultConfig[f.key])])) as Record<
      ConfigKey,
      string
    >,
  );
  swept = $state<PerField<boolean>>({});
  sweepText = $state<PerField<string>>({});
  datasets = $state.raw<DatasetChoice[]>([]);
  /** A random search's number of runs, as typed (used once a sweep field holds a range such as 0.5..8). */
  samplesText = $state('20');
  /** Median stopping for the sweep's runs. */
  earlyStop = $state(false);

  /** The base config and each field's message. */
  base = $derived.by(() => this.validateBase());
  sweep = $derived.by(() => this.validateSweep(this.base.config));
  /** A range in any sweep field makes the sweep a random search. */
  isSearch = $derived(Object.keys(this.sweep.ranges).length > 0);
  samples = $derived.by((): { value: number | null; error: string | null } => {
    const n = Number(this.samplesText.trim());
    if (this.samplesText.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_SWEEP_RUNS)
      return { value: null, error: `samples = "${this.samplesText}": allowed: an integer from 1 to ${MAX_SWEEP_RUNS}` };
    return { value: n, error: null };
  });
  runCount = $derived(this.isSearch ? (this.samples.value ?? 0) : sweepSize(this.sweep.axes));
  nameError = $derived(
    this.experimentName.trim() === ''
      ? 'an experiment needs a name'
      : this.experimentName.length > 200
        ? 'at most 200 characters'
        : null,
  );
  errorCount = $derived(
    Object.keys(this.base.errors).length +
      Object.keys(this.sweep.errors).length +
      this.base.general.length +
      (this.nameError ? 1 : 0) +
      (this.isSearch && this.samples.error ? 1 : 0),
  );
  tooMany = $derived(this.runCount > MAX_SWEEP_RUNS);
  valid = $derived(this.errorCount === 0 && !this.tooMany);

  /** The current config as the schema sees it (first value of each swept parameter), for showing dependent fields. */
  preview = $derived(this.base.config);

  messageFor = (key: ConfigKey): string | null => this.base.errors[key] ?? this.sweep.errors[key] ?? null;

  toggleSweep = (key: ConfigKey): void => {
    const on = !this.swept[key];
    this.swept[key] = on;
    if (on && !this.sweepText[key]) this.sweepText[key] = sweepSuggestion(key, this.text[key]);
  };

  spec = (): SweepSpec => ({
    base: this.base.config,
    axes: this.sweep.axes,
    ...(this.isSearch ? { ranges: this.sweep.ranges, samples: this.samples.value ?? undefined } : {}),
    ...(this.earlyStop ? { earlyStop: 'median' as const } : {}),
  });

  private validateBase(): { config: ExperimentConfig; errors: PerField<string>; general: string[] } {
    const errors: PerField<string> = {};
    const candidate: Record<string, unknown> = { ...defaultConfig };
    for (const f of fields) {
      const parsed = parseValue(f.key, this.text[f.key]);
      if (parsed.ok) candidate[f.key] = parsed.value;
      else if (!this.swept[f.key]) errors[f.key] = fieldMessage(f.key, parsed.message);
    }
    // Swept parameters take their first value here; each value is checked in validateSweep.
    for (const f of fields) {
      if (!this.swept[f.key]) continue;
      const text = this.sweepText[f.key] ?? '';
      if (isRangeText(text)) {
        const range = readRange(f.key, text);
        if (range.ok) candidate[f.key] = range.range.min;
        continue;
      }
      const first = splitSweepText(text)[0];
      const parsed = first === undefined ? null : parseValue(f.key, first);
      if (parsed?.ok) candidate[f.key] = parsed.value;
    }
    const general: string[] = [];
    const result = experimentConfigSchema.safeParse(candidate);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const key = issue.path[0] as ConfigKey | undefined;
        const message = formatIssues([issue], candidate);
        if (key && !this.swept[key]) errors[key] ??= message;
        else if (!key) general.push(message);
      }
    }
    const ds = this.datasets.find((d) => d.id === candidate.dataset);
    if (this.datasets.length > 0 && !this.swept.dataset) {
      if (!ds) errors.dataset ??= `dataset = "${String(candidate.dataset)}": no such dataset`;
      else if (!ds.available) errors.dataset ??= `dataset = "${ds.id}": not available (${ds.note ?? 'not installed'})`;
    }
    return { config: (result.success ? result.data : candidate) as ExperimentConfig, errors, general };
  }

  private validateSweep(base: ExperimentConfig): {
    axes: SweepAxes;
    ranges: SweepRanges;
    errors: PerField<string>;
  } {
    const axes: Record<string, unknown[]> = {};
    const ranges: SweepRanges = {};
    const errors: PerField<string> = {};
    for (const f of fields) {
      if (!this.swept[f.key]) continue;
      // A swept field the config hides (β once the model is PCA) makes no axis: its runs would all be the same run.
      if (f.applies && !f.applies(base)) continue;
      if (isRangeText(this.sweepText[f.key] ?? '')) {
        const range = readRange(f.key, this.sweepText[f.key] ?? '');
        if (range.ok) ranges[f.key] = range.range;
        else errors[f.key] = `${f.key}: ${range.message}`;
        continue;
      }
      const texts = splitSweepText(this.sweepText[f.key] ?? '');
      if (texts.length === 0) {
        errors[f.key] = `${f.key}: a sweep needs at least one value`;
        continue;
      }
      const values: unknown[] = [];
      for (const t of texts) {
        const parsed = parseValue(f.key, t);
        if (!parsed.ok) {
          errors[f.key] ??= fieldMessage(f.key, parsed.message);
          continue;
        }
        const candidate = { ...base, [f.key]: parsed.value };
        const result = experimentConfigSchema.safeParse(candidate);
        const issue = result.success ? undefined : result.error.issues.find((i) => i.path[0] === f.key);
        if (issue) errors[f.key] ??= formatIssues([issue], candidate);
        else values.push(parsed.value);
      }
      const keys = values.map((v) => JSON.stringify(v));
      if (keys.some((k, i) => keys.indexOf(k) !== i)) errors[f.key] ??= `${f.key}: a value is listed twice`;
      axes[f.key] = values;
    }
    return { axes: axes as SweepAxes, ranges, errors };
  }
}
