// safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__},
import { AzrError } from '../errors.ts';
// then the raw little-endian tensor bytes. F32, F16 and BF16 are read into Float32Array and can be written.

export type FloatDtype = 'F32' | 'F16' | 'BF16';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const bytesPer: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export function encodeSafetensors(
  tensors: Map<string, NamedTensor>,
  options: { dtype?: FloatDtype; metadata?: Record<string, string> } = {},
): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length)
      throw new AzrError(
        'MODEL_INVALID',
        `tensor ${name}: shape ${t.shape} does not hold ${t.data.length} values`,
      );
    const bytes = size * bytesPer[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    const encoded = encodeFloats(t.data, dtype);
    out.set(encoded, at);
    at += encoded.length;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length)
    throw new AzrError('MODEL_INVALID', 'safetensors: header length exceeds file size');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    unknown
  >;
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as HeaderEntry;
    if (!(dtype in bytesPer))
      throw new AzrError('MODEL_INVALID', `safetensors: tensor ${name} has unsupported dtype ${dtype}`);
    const [begin, end] = data_offsets;
    if (dataStart + end > bytes.length)
      throw new AzrError('MODEL_INVALID', `safetensors: tensor ${name} extends past the end of the file`);
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    tensors.set(name, { shape, data: decodeFloats(raw, dtype as FloatDtype) });
  }
  return { tensors, metadata };
}

function encodeFloats(data: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') {
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    return out;
  }
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  const toHalf = dtype === 'F16' ? float32ToFloat16 : float32ToBfloat16;
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, toHalf(data[i]), true);
  return out;
}

function decodeFloats(raw: Uint8Array, dtype: FloatDtype): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / bytesPer[dtype];
  const out = new Float32Array(n);
  if (dtype === 'F32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
  }
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

/** Round-to-nearest-even; NaN stays NaN. */
export function float32ToBfloat16(x: number): number {
  scratch.setFloat32(0, x);
  const bits = scratch.getUint32(0);
  if (Number.isNaN(x)) return 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Round-to-nearest-even, with subnormals, overflow to infinity and NaN. */
export function float32ToFloat16(x: number): number {
  scratch.setFloat32(0, x);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rounded = (mantissa + half - 1 + ((mantissa >>> shift) & 1)) >>> shift;
    return sign | rounded;
  }
  const rounded = mantissa + 0xfff + ((mantissa >>> 13) & 1);
  if (rounded & 0x800000) {
    mantissa = 0;
    e++;
    if (e >= 0x1f) return sign | 0x7c00;
  } else {
    mantissa = rounded;
  }
  return sign | (e << 10) | (mantissa >>> 13);
}
