// Tokenizers for models trained from scratch: bytes (UTF-8) or a fixed alphabet of characters. Special tokens get
import { AzrError } from '../errors.ts';
// ids after the base vocabulary and are matched literally in `encode`.

export interface Tokenizer {
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** Id of a named special token (e.g. '<eos>'), or undefined. */
  specialId(token: string): number | undefined;
}

/** Splits text on literal special tokens; `encodePlain` handles the pieces between them. */
export function encodeWithSpecials(
  text: string,
  specials: Map<string, number>,
  encodePlain: (piece: string) => number[],
): number[] {
  if (specials.size === 0) return encodePlain(text);
  const names = [...specials.keys()].sort((a, b) => b.length - a.length);
  const ids: number[] = [];
  let plainStart = 0;
  let i = 0;
  while (i < text.length) {
    const hit = names.find((name) => text.startsWith(name, i));
    if (hit === undefined) {
      i++;
      continue;
    }
    if (i > plainStart) ids.push(...encodePlain(text.slice(plainStart, i)));
    ids.push(specials.get(hit)!);
    i += hit.length;
    plainStart = i;
  }
  if (plainStart < text.length) ids.push(...encodePlain(text.slice(plainStart)));
  return ids;
}

abstract class SpecialsTokenizer implements Tokenizer {
  protected readonly specials = new Map<string, number>();
  protected readonly specialNames = new Map<number, string>();

  constructor(
    protected readonly baseSize: number,
    specialTokens: string[],
  ) {
    specialTokens.forEach((name, i) => {
      this.specials.set(name, baseSize + i);
      this.specialNames.set(baseSize + i, name);
    });
  }

  get vocabSize(): number {
    return this.baseSize + this.specials.size;
  }

  specialId(token: string): number | undefined {
    return this.specials.get(token);
  }

  encode(text: string): number[] {
    return encodeWithSpecials(text, this.specials, (piece) => this.encodePlain(piece));
  }

  decode(ids: number[]): string {
    let out = '';
    let run: number[] = [];
    for (const id of ids) {
      const special = this.specialNames.get(id);
      if (special === undefined) {
        run.push(id);
        continue;
      }
      out += this.decodePlain(run) + special;
      run = [];
    }
    return out + this.decodePlain(run);
  }

  protected abstract encodePlain(text: string): number[];
  protected abstract decodePlain(ids: number[]): string;
}

/** UTF-8 bytes are ids 0..255; special tokens follow. */
export class ByteTokenizer extends SpecialsTokenizer {
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(specialTokens: string[] = []) {
    super(256, specialTokens);
  }

  protected encodePlain(text: string): number[] {
    return Array.from(this.encoder.encode(text));
  }

  protected decodePlain(ids: number[]): string {
    return this.decoder.decode(Uint8Array.from(ids.filter((id) => id >= 0 && id < 256)));
  }
}

/** One id per character of `alphabet` (by code point); characters outside it map to `unknown` or throw. */
export class CharTokenizer extends SpecialsTokenizer {
  private readonly chars: string[];
  private readonly index = new Map<string, number>();

  constructor(
    alphabet: string,
    specialTokens: string[] = [],
    private readonly unknown?: string,
  ) {
    const chars = [...new Set(Array.from(alphabet))];
    super(chars.length, specialTokens);
    this.chars = chars;
    for (const [i, c] of chars.entries()) this.index.set(c, i);
    if (unknown !== undefined && !this.index.has(unknown))
      throw new AzrError('MODEL_INVALID', `unknown char '${unknown}' not in alphabet`);
  }

  protected encodePlain(text: string): number[] {
    return Array.from(text, (c) => {
      const id = this.index.get(c) ?? (this.unknown === undefined ? undefined : this.index.get(this.unknown));
      if (id === undefined)
        throw new AzrError(
          'MODEL_INVALID',
          `character ${JSON.stringify(c)} is not in the tokenizer alphabet`,
        );
      return id;
    });
  }

  protected decodePlain(ids: number[]): string {
    return ids.map((id) => this.chars[id] ?? '').join('');
  }
}
