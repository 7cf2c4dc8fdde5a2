// Runtime faults of a step — actor crashes, restarts, messages retried after their host died, dead letters, lost
// nodes — counted by part (`actor:solver.restarted`, `node:<id>.lost`) with the first message, like plugin faults,
// so that the step's metrics line, the console and the report show them (docs/run-directory.md).
import type { Faults } from '../plugins/index.ts';
import type { RuntimeEvent } from '../runtime/events.ts';

/** The part and message a runtime event counts as, or undefined for events that are not faults. */
function faultOf(event: RuntimeEvent): { part: string; message: string } | undefined {
  switch (event.type) {
    case 'crashed':
      return { part: `actor:${event.actor}.crashed`, message: `${event.error.name}: ${event.error.message}` };
    case 'restarting':
      return { part: `actor:${event.actor}.restarted`, message: `restart ${event.attempt} in its window` };
    case 'retried':
      return {
        part: `actor:${event.actor}.retried`,
        message: `"${event.messageType}" handed to its new host`,
      };
    case 'dead-lettered':
      return {
        part: `actor:${event.actor}.deadLettered`,
        message: `"${event.messageType}": ${event.reason}`,
      };
    case 'node-lost':
      return { part: `node:${event.actor}.lost`, message: event.reason };
    default:
      return undefined;
  }
}

/** Collects runtime faults from a system's events until `take()` hands them over and starts afresh. */
export class RuntimeFaults {
  private faults: Faults = {};

  constructor(events: { on(listener: (event: RuntimeEvent) => void): () => void }) {
    events.on((event) => {
      const fault = faultOf(event);
      if (!fault) return;
      const entry = this.faults[fault.part];
      if (entry) entry.count++;
      else this.faults[fault.part] = { count: 1, first: fault.message.split('\n')[0]! };
    });
  }

  /** The faults since the last take. */
  take(): Faults {
    const taken = this.faults;
    this.faults = {};
    return taken;
  }
}
