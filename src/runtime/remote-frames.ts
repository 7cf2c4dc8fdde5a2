// Frames between a parent and the worker thread or child process that hosts one actor incarnation.
// Every frame crosses as msgpack bytes.
import type { ErrorInfo } from './errors.ts';

/** [id, type, body (msgpack bytes), ask] */
export type WireEnvelope = [number, string, Uint8Array, boolean];

export type ToHost =
  | {
      t: 'init';
      module: string;
      kind: string;
      name: string;
      options: Record<string, unknown>;
      seed: string;
      snapshot?: unknown;
    }
  | { t: 'deliver'; envelopes: WireEnvelope[] }
  | { t: 'snapshot'; req: number }
  | { t: 'stop'; req: number }
  | { t: 'routed'; req: number; value?: unknown; error?: ErrorInfo };

export type FromHost =
  | { t: 'started' }
  /** [id, replied, reply bytes] per finished message */
  | { t: 'done'; results: [number, boolean, Uint8Array | null][] }
  | { t: 'rejected'; id: number; pointer: string; problem: string }
  | { t: 'crashed'; error: ErrorInfo; id: number | null }
  | { t: 'exited' }
  | { t: 'snapshot'; req: number; value: unknown }
  | { t: 'stopped'; req: number }
  | { t: 'route'; req: number; to: string; message: { type: string }; ask: boolean; timeoutMs?: number }
  | { t: 'log'; line: string };
