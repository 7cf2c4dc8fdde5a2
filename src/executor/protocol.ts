// Frames between the pool and harness.py: 4-byte big-endian length, then a UTF-8 JSON object.
// JSON rather than msgpack because the system Python has no msgpack module and the sandbox exposes
// nothing else; Python's C json codec keeps the harness side fast.
import { AzrError } from '../errors.ts';

export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** A frame from a Python worker that breaks the protocol (too large, not JSON). */
export class ProtocolError extends AzrError {
  constructor(message: string) {
    super('EXECUTOR_FAILED', message);
  }
}

/** Frames for messages already serialised as JSON text. */
export function encodeFrames(jsonTexts: readonly string[]): Buffer {
  let total = 0;
  for (const text of jsonTexts) total += 4 + Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const text of jsonTexts) {
    const size = out.write(text, offset + 4, 'utf8');
    out.writeUInt32BE(size, offset);
    offset += 4 + size;
  }
  return out;
}

/** Accumulates stream chunks and returns the complete frames they finish. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): unknown[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: unknown[] = [];
    let offset = 0;
    while (this.pending.length - offset >= 4) {
      const size = this.pending.readUInt32BE(offset);
      if (size > MAX_FRAME_BYTES) throw new ProtocolError(`frame of ${size} bytes exceeds the limit`);
      const end = offset + 4 + size;
      if (this.pending.length < end) break;
      const text = this.pending.toString('utf8', offset + 4, end);
      try {
        frames.push(JSON.parse(text));
      } catch {
        throw new ProtocolError(`unreadable frame: ${JSON.stringify(text.slice(0, 80))}`);
      }
      offset = end;
    }
    this.pending = offset === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(offset);
    return frames;
  }
}
