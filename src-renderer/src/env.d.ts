import type { WorkbenchBridge } from '../../src-shared/api';

declare global {
  interface Window {
    /** Present only in the desktop app: the preload's bridge to the API contract. */
    workbench?: WorkbenchBridge;
  }
}

export {};
