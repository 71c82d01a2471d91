/**
 * A child's final message (finished, failed) must reach its parent before the child exits: a parent whose event loop
 * is busy may otherwise hear the exit before the message still waiting in the channel, and take a finished run for a
 * crashed one. The child sends it wrapped in a FinalEnvelope and waits (with a time limit) for the parent's ack,
 * which the parent's ChildHandle sends once every listener has handled the message.
 */

export interface FinalEnvelope<M> {
  $child: 'final';
  message: M;
}

export interface AckMessage {
  $child: 'ack';
}

export const ACK: AckMessage = { $child: 'ack' };

/** How long a child waits for the parent's ack before it exits anyway (a parent stuck this long is not coming). */
export const FINAL_ACK_TIMEOUT_MS = 10_000;

export function finalEnvelope<M>(message: M): FinalEnvelope<M> {
  return { $child: 'final', message };
}

function kitMessage(value: unknown, kind: 'final' | 'ack'): boolean {
  return typeof value === 'object' && value !== null && (value as { $child?: unknown }).$child === kind;
}

export function isFinalEnvelope(value: unknown): value is FinalEnvelope<unknown> {
  return kitMessage(value, 'final');
}

export function isAck(value: unknown): value is AckMessage {
  return kitMessage(value, 'ack');
}

/**
 * The parent's side, shared by every ChildHandle: hands each message to the listeners in order; a final message is
 * unwrapped, and acknowledged once all of them have handled it (an async listener is waited for).
 */
export function messageDispatcher<FromChild>(sendAck: () => void): {
  add(listener: (message: FromChild) => void | Promise<void>): void;
  dispatch(raw: unknown): void;
} {
  const listeners: ((message: FromChild) => void | Promise<void>)[] = [];
  return {
    add: (listener) => void listeners.push(listener),
    dispatch: (raw) => {
      if (!isFinalEnvelope(raw)) {
        for (const listener of listeners) void listener(raw as FromChild);
        return;
      }
      const handled = listeners.map((listener) => listener(raw.message as FromChild));
      void Promise.allSettled(handled).then(sendAck);
    },
  };
}
