// Plugin code runs inside the actors; a plugin that throws must not take the run down. Calls into plugins go
// through `guard`, which turns an exception into a fallback value and records it by plugin part: how many times,
// and the first one's message, so a user sees what went wrong and not only that something did.
import type { Faults } from '../wire/index.ts';

export type { Faults };

/** Messages longer than this are cut: a fault is reported on one console line and in every metrics line. */
const MAX_MESSAGE = 300;

function message(error: Error): string {
  const text = `${error.name}: ${error.message}`.split('\n')[0]!;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}

/** Records one fault of `part`; the first message of a part is kept. */
export function recordFault(faults: Faults, part: string, error: Error): void {
  const entry = faults[part];
  if (entry) entry.count++;
  else faults[part] = { count: 1, first: message(error) };
}

export function guard<T>(faults: Faults, part: string, call: () => T, fallback: (error: Error) => T): T {
  try {
    return call();
  } catch (error) {
    const cause = error instanceof Error ? error : new Error(String(error));
    recordFault(faults, part, cause);
    return fallback(cause);
  }
}

/** Adds `from`'s faults to `into`; a part already in `into` keeps its first message. */
export function mergeFaults(into: Faults, from: Faults | undefined): Faults {
  for (const [part, { count, first }] of Object.entries(from ?? {})) {
    const entry = into[part];
    if (entry) entry.count += count;
    else into[part] = { count, first };
  }
  return into;
}
