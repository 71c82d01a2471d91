import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './db';
import { getBackendSetting, setBackendSetting } from './settings';
import { openTempStore, type TempStore } from '../testing/store-fixtures';
import type { BackendPreference } from '../../src-shared/backends';

let store: TempStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
});

describe('the saved backend preference', () => {
  it('is absent until saved, then read back after the database is reopened', () => {
    store = openTempStore();
    expect(getBackendSetting(store.db)).toBeUndefined();
    setBackendSetting(store.db, { backend: 'webgpu', allowSoftwareGpu: true });
    setBackendSetting(store.db, { backend: 'wasm', allowSoftwareGpu: false });
    store.db.close();
    const reopened = openDatabase(store.path);
    try {
      expect(getBackendSetting(reopened)).toEqual({ backend: 'wasm', allowSoftwareGpu: false });
      expect(reopened.prepare('SELECT count(*) FROM settings').pluck().get()).toBe(1);
    } finally {
      reopened.close();
    }
  });

  it('refuses a backend it does not know, naming the allowed ones, and ignores one a newer version saved', () => {
    store = openTempStore();
    expect(() =>
      setBackendSetting(store!.db, { backend: 'cuda', allowSoftwareGpu: false } as unknown as BackendPreference),
    ).toThrow(/backend = "cuda": allowed: auto, tensorflow, webgpu, blas, wasm, cpu/);
    store.db
      .prepare("INSERT INTO settings (id, backend, allow_software_gpu, updated_at) VALUES (1, 'metal', 0, 'now')")
      .run();
    expect(getBackendSetting(store.db)).toBeUndefined();
    expect(() => store!.db.prepare('UPDATE settings SET allow_software_gpu = 2 WHERE id = 1').run()).toThrow(
      /CHECK constraint failed/,
    );
  });
});
