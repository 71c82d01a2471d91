import type { EventName } from '../../src-shared/api';

/** IPC channel names shared by main and the preload; free of imports so the sandboxed preload can bundle it. */
export const CALL_CHANNEL = 'workbench:call';
export const EVENT_CHANNEL_PREFIX = 'workbench:event:';

const all = { onRunProgress: true, onQueueChanged: true, onRunChanged: true } satisfies Record<EventName, true>;
export const eventChannels = Object.keys(all) as EventName[];
