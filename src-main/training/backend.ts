import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../../src-shared/runs';
import { backendCandidates, backendNames, type BackendName } from './backend-order';

/**
 * Picks the fastest TF.js backend that works here, in the order of backendCandidates (backend-order.ts).
 * Every better backend that was skipped is recorded with the reason, so the run's page can say why it is slow.
 */

export class BackendError extends Error {
  override name = 'BackendError';
}

type Attempt = { ok: true } | { ok: false; reason: string };

// The specifier is a variable: the native packages are optional and absent on most machines, so neither
// TypeScript nor the bundler may resolve them at build time.
async function tryNative(specifier: string): Promise<Attempt> {
  try {
    await import(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return { ok: false, reason: `${specifier} is not installed` };
    }
    return { ok: false, reason: `${specifier} failed to load: ${firstLine(error)}` };
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    return {
      ok: false,
      reason: `${specifier} loaded but registered its backend with another copy of @tensorflow/tfjs-core; install the version matching @tensorflow/tfjs ${tf.version.tfjs}`,
    };
  }
  return activate('tensorflow');
}

async function tryWasm(): Promise<Attempt> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(error)}` };
  }
  return activate('wasm');
}

/** setBackend resolves false (and TF.js quietly keeps another backend) when initialisation fails: check both. */
async function activate(name: string): Promise<Attempt> {
  if (tf.findBackendFactory(name) === null) return { ok: false, reason: `backend '${name}' was not registered` };
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    return { ok: false, reason: `setBackend('${name}') threw: ${firstLine(error)}` };
  }
  if (!ok) {
    const hint =
      name === 'wasm'
        ? ' (its .wasm files were not found: is @tensorflow/tfjs-backend-wasm bundled instead of external?)'
        : '';
    return { ok: false, reason: `setBackend('${name}') failed to initialise${hint}` };
  }
  const active = tf.getBackend();
  if (active !== name) return { ok: false, reason: `asked for '${name}' but TF.js is running '${active}'` };
  return { ok: true };
}

function attempt(backend: BackendName, nativePackage: string | null): Promise<Attempt> {
  if (nativePackage !== null) return tryNative(nativePackage);
  return backend === 'wasm' ? tryWasm() : activate(backend);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/**
 * Activates a backend. `preferred` forces one ('tensorflow', 'wasm' or 'cpu') and throws if it cannot start;
 * null tries them best first. The result names the backend in use and why each better one was skipped.
 */
export async function selectBackend(preferred: string | null): Promise<BackendInfo> {
  if (preferred !== null && !(backendNames as readonly string[]).includes(preferred)) {
    throw new BackendError(
      `backend '${preferred}' is not known; use one of ${backendNames.join(', ')} (or none for the best available)`,
    );
  }
  const skipped: BackendInfo['skipped'] = [];
  for (const candidate of backendCandidates) {
    if (preferred !== null && candidate.backend !== preferred) continue;
    const result = await attempt(candidate.backend, candidate.nativePackage);
    if (result.ok) {
      await tf.ready();
      if (candidate.backend === 'wasm' && !(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) {
        skipped.push({
          backend: 'wasm (SIMD)',
          reason: 'this runtime has no WebAssembly SIMD; the plain wasm build is several times slower',
        });
      }
      return { backend: candidate.backend, skipped };
    }
    skipped.push({ backend: candidate.label, reason: result.reason });
  }
  const reasons = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new BackendError(
    preferred === null
      ? `no TF.js backend could start (${reasons})`
      : `backend '${preferred}' could not start (${reasons})`,
  );
}
