import {
  defaultConfig,
  experimentConfigSchema,
  formatIssues,
  type ConfigKey,
  type ExperimentConfig,
} from '../../../src-shared/config';
import { MAX_SWEEP_RUNS, sweepSize, type SweepAxes, type SweepSpec } from '../../../src-shared/sweep';
import type { DatasetChoice } from '../../../src-shared/api';
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

  /** The base config and each field's message. */
  base = $derived.by(() => this.validateBase());
  sweep = $derived.by(() => this.validateSweep(this.base.config));
  runCount = $derived(sweepSize(this.sweep.axes));
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
      (this.nameError ? 1 : 0),
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

  spec = (): SweepSpec => ({ base: this.base.config, axes: this.sweep.axes });

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
      const first = splitSweepText(this.sweepText[f.key] ?? '')[0];
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

  private validateSweep(base: ExperimentConfig): { axes: SweepAxes; errors: PerField<string> } {
    const axes: Record<string, unknown[]> = {};
    const errors: PerField<string> = {};
    for (const f of fields) {
      if (!this.swept[f.key]) continue;
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
    return { axes: axes as SweepAxes, errors };
  }
}
