// Lifecycle, crash and message events, for logs, metrics and tests to observe the system.
import type { ErrorInfo } from './errors.ts';

export type RuntimeEvent =
  | { type: 'started'; actor: string; at: number; host: string }
  | { type: 'crashed'; actor: string; at: number; error: ErrorInfo }
  | { type: 'exited'; actor: string; at: number }
  | { type: 'restarting'; actor: string; at: number; delayMs: number; attempt: number; supervisor: string }
  | { type: 'terminated'; actor: string; at: number; reason: string }
  | { type: 'escalated'; actor: string; at: number; reason: string }
  | { type: 'rejected'; actor: string; at: number; messageType: string; pointer: string; problem: string }
  | { type: 'dropped'; actor: string; at: number; messageType: string }
  /** A message retried on a new incarnation after its host died under it (`attempt` counts from 1). */
  | { type: 'retried'; actor: string; at: number; messageType: string; attempt: number }
  | { type: 'dead-lettered'; actor: string; at: number; messageType: string; reason: string }
  | { type: 'system-stopped'; actor: string; at: number; reason: string }
  /** An `azr node` joined the run (`actor` is the node id) or stopped sending heartbeats. */
  | { type: 'node-joined'; actor: string; at: number; roles: string[] }
  | { type: 'node-lost'; actor: string; at: number; reason: string };

export type RuntimeEventType = RuntimeEvent['type'];
export type Listener = (event: RuntimeEvent) => void;

export class EventBus {
  private listeners = new Set<Listener>();

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Resolves with the next event that matches. */
  next<T extends RuntimeEventType>(
    type: T,
    where: (event: Extract<RuntimeEvent, { type: T }>) => boolean = () => true,
  ): Promise<Extract<RuntimeEvent, { type: T }>> {
    return new Promise((resolve) => {
      const off = this.on((event) => {
        if (event.type === type && where(event as Extract<RuntimeEvent, { type: T }>)) {
          off();
          resolve(event as Extract<RuntimeEvent, { type: T }>);
        }
      });
    });
  }
}
