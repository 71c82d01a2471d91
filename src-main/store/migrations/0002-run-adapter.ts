import type { Database } from 'better-sqlite3';

/**
 * The WebGPU adapter a run trained on, beside its backend: what the driver calls it (GPUAdapterInfo) and whether it
 * is a software one (lavapipe, SwiftShader), so a slow run on webgpu can be told from a fast one. NULL for runs on
 * other backends and for runs stored before this step.
 */
export default function runAdapter(db: Database): void {
  db.exec(`
    ALTER TABLE runs ADD COLUMN adapter_vendor TEXT;
    ALTER TABLE runs ADD COLUMN adapter_architecture TEXT;
    ALTER TABLE runs ADD COLUMN adapter_device TEXT;
    ALTER TABLE runs ADD COLUMN adapter_description TEXT;
    ALTER TABLE runs ADD COLUMN adapter_software INTEGER CHECK (adapter_software IN (0, 1));
  `);
}
