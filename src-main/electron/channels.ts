/**
 * IPC channel names shared by main and the preload. The event names come from the contract's leaf module, which has
 * no run-time imports, so the sandboxed preload can bundle it.
 */
export const CALL_CHANNEL = 'workbench:call';
export const EVENT_CHANNEL_PREFIX = 'workbench:event:';
