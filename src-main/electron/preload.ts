import { contextBridge, ipcRenderer } from 'electron';
import type { BridgeReply, WorkbenchBridge } from '../../src-shared/api';
import { eventNames, isEventName } from '../../src-shared/contract';
import { CALL_CHANNEL, EVENT_CHANNEL_PREFIX } from './channels';

/**
 * The renderer's only door to main: one call into the API contract and subscriptions to its events.
 * Sandboxed preloads cannot load npm packages: besides types, this file imports only the contract's leaf module.
 */
const bridge: WorkbenchBridge = {
  call: (method, input) => {
    if (typeof method !== 'string')
      return Promise.resolve({ ok: false, error: { name: 'UnknownMethod', message: 'method must be a string' } });
    return ipcRenderer.invoke(CALL_CHANNEL, method, input) as Promise<BridgeReply>;
  },
  on: (event, listener) => {
    if (!isEventName(event)) throw new Error(`${event} is not an API event; allowed: ${eventNames.join(', ')}`);
    const channel = EVENT_CHANNEL_PREFIX + event;
    // The IpcRendererEvent (with its sender) never reaches the page: only the payload does.
    const forward = (_e: Electron.IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => void ipcRenderer.removeListener(channel, forward);
  },
};

contextBridge.exposeInMainWorld('workbench', bridge);
