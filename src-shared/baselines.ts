import type { ExperimentConfig, ModelKind } from './config';
import type { SplitMetrics } from './runs';

/**
 * How baselines (PCA, the linear autoencoder) are told apart from VAEs wherever metrics are shown: they have a
 * reconstruction term in the VAE's units but no KL term, so no rate, no ELBO and no marginal likelihood; tables show
 * those as not applicable rather than 0.
 */

/** What tables print where a metric does not apply to a run's kind. */
export const NOT_APPLICABLE = 'n/a';

/** Whether the run has a KL term, an ELBO, a rate and a prior: VAEs only. */
export function hasElbo(config: Pick<ExperimentConfig, 'model'>): boolean {
  return config.model === 'vae';
}

export const modelKindNames: Record<ModelKind, string> = { vae: 'VAE', pca: 'PCA', 'linear-ae': 'linear AE' };

/** "VAE", "PCA", "linear AE": the run's kind in tables and legends. */
export function modelKindName(config: Pick<ExperimentConfig, 'model'>): string {
  return modelKindNames[config.model];
}

/** What a baseline's reconstruction number means, for tooltips, reports and the CLI. */
export function baselineNote(config: Pick<ExperimentConfig, 'model' | 'likelihood'>): string | null {
  if (config.model === 'vae') return null;
  const likelihood =
    config.likelihood === 'bernoulli' ? 'the Bernoulli likelihood' : 'the Gaussian likelihood with the run’s fixed σ²';
  const what =
    config.model === 'pca'
      ? 'PCA fitted in closed form: recon is −log p(x|x̂) of its reconstruction x̂ (clipped to [10⁻⁴, 1 − 10⁻⁴])'
      : 'a linear autoencoder (linear encoder and decoder, the decoder’s output the logits of p(x|x̂)): recon is −log p(x|x̂)';
  return `${what} under ${likelihood}, nats per example as for the VAEs; no KL term, so no ELBO, rate or NLL`;
}

/** A metric as shown for the run: null where it does not apply (a baseline's KL, ELBO, NLL, IWAE). */
export function applicableMetric(
  config: Pick<ExperimentConfig, 'model'>,
  key: keyof SplitMetrics,
  value: number | null | undefined,
): number | null {
  if (value === undefined || value === null) return null;
  if (!hasElbo(config) && key !== 'recon' && key !== 'sqError') return null;
  return value;
}

/** One line of a finished epoch's test metrics, for the CLI: the ELBO and KL of a VAE, what applies to a baseline. */
export function epochLine(
  config: Pick<ExperimentConfig, 'model' | 'likelihood'>,
  test: SplitMetrics | null,
  format: (value: number | undefined | null) => string,
): string {
  if (!hasElbo(config)) {
    return `test recon ${format(test?.recon)} nats, squared error ${format(test?.sqError)} per image (${modelKindName(config)}: no KL, no ELBO)`;
  }
  const iwae = typeof test?.iwae === 'number' ? ` IWAE bound ${format(test.iwae)}` : '';
  return `test recon ${format(test?.recon)} KL ${format(test?.kl)} ELBO ${format(test?.elbo)}${iwae} nats`;
}

/** "a PCA baseline", "a linear AE baseline", "a plain autoencoder": why a run has no q(z|x), for error messages. */
export function deterministicKind(config: Pick<ExperimentConfig, 'model'>): string {
  return config.model === 'vae' ? 'a plain autoencoder' : `a ${modelKindName(config)} baseline`;
}
