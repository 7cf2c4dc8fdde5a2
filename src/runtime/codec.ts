// The one wire format: msgpack, with typed arrays preserved (moreTypes) and plain maps instead of records,
// so any peer decoding with default settings reads the same values.
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: true });

/** Encodes a value as azr's messages and checkpoints are encoded (msgpack, typed arrays kept). */
export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes msgpack written by azr (messages, checkpoints' `state.msgpack`); typed arrays come back as such. */
export function decode<T = unknown>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}

/** Encodes into a buffer of its own, safe to transfer to another thread. */
export function encodeDetached(value: unknown): Uint8Array {
  return Uint8Array.prototype.slice.call(packr.pack(value));
}
