import { eventNames, type ApiEvents, type EventName } from '../../src-shared/contract';

type Listener<E extends EventName> = (payload: ApiEvents[E]) => void;

/** Fan-out of the contract's events to every connected window or browser tab. */
export class EventHub {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Every event, for transports that forward them all (SSE, IPC). */
  onAny(listener: <E extends EventName>(event: E, payload: ApiEvents[E]) => void): () => void {
    const offs = eventNames.map((event) => this.on(event, (payload) => listener(event, payload)));
    return () => offs.forEach((off) => off());
  }

  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch (error) {
        // One broken subscriber (a closed socket) must not stop the others.
        console.error(`${event} listener failed: ${(error as Error).message}`);
      }
    }
  }
}
