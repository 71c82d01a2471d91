import type { BackendPreference, BackendPreferenceInForce, BackendPreferenceSource } from '../../src-shared/backends';
import { allowSoftwareGpuEnvVar, backendEnvVar } from '../training/backend-order';

/**
 * The backend preference in force and where it comes from. Start-up wins for the session (--backend,
 * --allow-software-gpu, VAE_WORKBENCH_BACKEND, VAE_WORKBENCH_ALLOW_SOFTWARE_GPU), else the saved setting, else auto.
 * A choice made in the UI applies to the next runs and to the latent views at once, and is saved for the next start.
 */
export interface BackendSetting {
  readonly inForce: BackendPreferenceInForce;
  choose(preference: BackendPreference): BackendPreferenceInForce;
}

export interface BackendSettingDeps {
  /** The queue runner: its preference is what the next runs ask for. */
  runner: { readonly backendPreference: BackendPreference; setBackendPreference(p: BackendPreference): void };
  /** The latent views' process, restarted when the backend changes. */
  latent: { setBackendPreference(p: BackendPreference): void };
  saved: { get(): BackendPreference | undefined; set(p: BackendPreference): void };
  /** A backend named at start-up (--backend); null when none was. */
  startupBackend: string | null;
  env?: Record<string, string | undefined>;
}

const isSet = (value: string | undefined): boolean => value !== undefined && value !== '';

export function backendSetting(deps: BackendSettingDeps): BackendSetting {
  const env = deps.env ?? process.env;
  const backendAtStartup = deps.startupBackend !== null || isSet(env[backendEnvVar]);
  const allowAtStartup = isSet(env[allowSoftwareGpuEnvVar]);
  const saved = deps.saved.get();
  let source: BackendPreferenceSource = backendAtStartup || allowAtStartup ? 'start-up' : saved ? 'saved' : 'default';
  if (saved !== undefined) {
    // What start-up set stays; the saved setting fills in the rest.
    const now = deps.runner.backendPreference;
    deps.runner.setBackendPreference({
      backend: backendAtStartup ? now.backend : saved.backend,
      allowSoftwareGpu: allowAtStartup ? now.allowSoftwareGpu : saved.allowSoftwareGpu,
    });
  }
  deps.latent.setBackendPreference(deps.runner.backendPreference);
  return {
    get inForce() {
      return { ...deps.runner.backendPreference, source };
    },
    choose(preference) {
      deps.saved.set(preference);
      deps.runner.setBackendPreference(preference);
      deps.latent.setBackendPreference(deps.runner.backendPreference);
      source = 'saved';
      return this.inForce;
    },
  };
}
