// Hugging Face `tokenizer.json` with a byte-level BPE model (GPT-2, Llama-3, Qwen2 style): added tokens matched
// literally first, optional NFC/NFKC normalisation, regex pre-tokenisation (Split and/or ByteLevel), byte→unicode
// mapping, BPE merges by rank; decoding reverses the byte mapping.
import { readFile } from 'node:fs/promises';
import { encodeWithSpecials, type Tokenizer } from './tokenizer.ts';
import { AzrError } from '../errors.ts';

const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

interface TokenizerJson {
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
  normalizer?: JsonNode | null;
  pre_tokenizer?: JsonNode | null;
  model: {
    type?: string;
    vocab: Record<string, number>;
    merges: Array<string | [string, string]>;
    ignore_merges?: boolean;
    unk_token?: string | null;
  };
}

interface JsonNode {
  type: string;
  [key: string]: unknown;
}

/** GPT-2's reversible byte → printable-unicode-char map (index = byte). */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(printable.includes(b) ? b : 256 + extra++);
  }
  return table;
}

const byteChars = bytesToUnicode();
const charBytes = new Map(byteChars.map((c, b) => [c, b]));

/** JS regexes lack inline modifier groups: rewrite `(?i:...)` with explicit case classes. */
export function toJsRegex(pattern: string): RegExp {
  const rewritten = pattern.replace(/\(\?i:((?:\\.|[^()\\])*)\)/g, (_, body: string) => {
    const caseless = body.replace(/\\.|[a-zA-Z]/g, (m) =>
      m.length === 1 ? `[${m.toLowerCase()}${m.toUpperCase()}]` : m,
    );
    return `(?:${caseless})`;
  });
  return new RegExp(rewritten, 'gu');
}

type PreTokenize = (text: string) => string[];

function splitByRegex(regex: RegExp, isolatedGaps: boolean): PreTokenize {
  return (text) => {
    const pieces: string[] = [];
    let last = 0;
    for (const match of text.matchAll(regex)) {
      if (match[0].length === 0) continue;
      if (isolatedGaps && match.index > last) pieces.push(text.slice(last, match.index));
      pieces.push(match[0]);
      last = match.index + match[0].length;
    }
    if (isolatedGaps && last < text.length) pieces.push(text.slice(last));
    return pieces;
  };
}

function buildPreTokenizer(node: JsonNode | null | undefined): { split: PreTokenize; prefixSpace: boolean } {
  if (!node) return { split: (t) => [t], prefixSpace: false };
  switch (node.type) {
    case 'Sequence': {
      const steps = (node.pretokenizers as JsonNode[]).map(buildPreTokenizer);
      return {
        split: (text) => steps.reduce<string[]>((pieces, step) => pieces.flatMap(step.split), [text]),
        prefixSpace: steps.some((s) => s.prefixSpace),
      };
    }
    case 'Split': {
      const pattern = node.pattern as { Regex?: string; String?: string };
      const source = pattern.Regex ?? (pattern.String ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (node.invert)
        throw new AzrError('MODEL_INVALID', 'tokenizer.json: inverted Split pre-tokenizer is not supported');
      const behavior = node.behavior as string;
      if (behavior !== 'Isolated' && behavior !== 'Removed') {
        throw new AzrError('MODEL_INVALID', `tokenizer.json: Split behavior ${behavior} is not supported`);
      }
      return { split: splitByRegex(toJsRegex(source), behavior === 'Isolated'), prefixSpace: false };
    }
    case 'ByteLevel':
      return {
        split: node.use_regex === false ? (t) => [t] : splitByRegex(toJsRegex(GPT2_PATTERN), false),
        prefixSpace: node.add_prefix_space === true,
      };
    default:
      throw new AzrError('MODEL_INVALID', `tokenizer.json: pre-tokenizer ${node.type} is not supported`);
  }
}

function buildNormalizer(node: JsonNode | null | undefined): (text: string) => string {
  if (!node) return (t) => t;
  switch (node.type) {
    case 'NFC':
    case 'NFKC':
    case 'NFD':
    case 'NFKD':
      return (t) => t.normalize(node.type as 'NFC');
    case 'Sequence': {
      const steps = (node.normalizers as JsonNode[]).map(buildNormalizer);
      return (t) => steps.reduce((s, f) => f(s), t);
    }
    default:
      throw new AzrError('MODEL_INVALID', `tokenizer.json: normalizer ${node.type} is not supported`);
  }
}

export class HfTokenizer implements Tokenizer {
  private readonly vocab: Map<string, number>;
  private readonly tokens: string[] = [];
  private readonly ranks = new Map<string, number>();
  private readonly added = new Map<string, number>();
  private readonly addedById = new Map<number, string>();
  private readonly cache = new Map<string, number[]>();
  private readonly preTokenizer: { split: PreTokenize; prefixSpace: boolean };
  private readonly normalize: (text: string) => string;
  private readonly ignoreMerges: boolean;
  private readonly unkId: number | undefined;
  readonly vocabSize: number;

  constructor(json: TokenizerJson) {
    if (json.model.type && json.model.type !== 'BPE')
      throw new AzrError('MODEL_INVALID', `tokenizer.json: model ${json.model.type} unsupported`);
    this.vocab = new Map(Object.entries(json.model.vocab));
    for (const [token, id] of this.vocab) this.tokens[id] = token;
    json.model.merges.forEach((merge, rank) => {
      const [a, b] = typeof merge === 'string' ? splitMerge(merge) : merge;
      this.ranks.set(`${a} ${b}`, rank);
    });
    for (const token of json.added_tokens ?? []) {
      this.added.set(token.content, token.id);
      this.addedById.set(token.id, token.content);
    }
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer);
    this.normalize = buildNormalizer(json.normalizer);
    this.ignoreMerges = json.model.ignore_merges === true;
    this.unkId = json.model.unk_token ? this.vocab.get(json.model.unk_token) : undefined;
    this.vocabSize = Math.max(this.tokens.length, ...[...this.addedById.keys()].map((id) => id + 1));
  }

  static async fromFile(file: string): Promise<HfTokenizer> {
    return new HfTokenizer(JSON.parse(await readFile(file, 'utf8')) as TokenizerJson);
  }

  specialId(token: string): number | undefined {
    return this.added.get(token) ?? this.vocab.get(token);
  }

  encode(text: string): number[] {
    return encodeWithSpecials(text, this.added, (piece) => this.encodePlain(piece));
  }

  decode(ids: number[]): string {
    let out = '';
    let bytes: number[] = [];
    const flush = () => {
      out += new TextDecoder().decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (const id of ids) {
      const added = this.addedById.get(id);
      if (added !== undefined) {
        flush();
        out += added;
        continue;
      }
      for (const c of this.tokens[id] ?? '') {
        const b = charBytes.get(c);
        if (b !== undefined) bytes.push(b);
      }
    }
    flush();
    return out;
  }

  private encodePlain(text: string): number[] {
    let normalized = this.normalize(text);
    if (this.preTokenizer.prefixSpace && !normalized.startsWith(' ')) normalized = ` ${normalized}`;
    const ids: number[] = [];
    for (const piece of this.preTokenizer.split(normalized)) {
      const mapped = Array.from(new TextEncoder().encode(piece), (b) => byteChars[b]).join('');
      ids.push(...this.bpe(mapped));
    }
    return ids;
  }

  private bpe(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let parts: string[];
    if (this.ignoreMerges && this.vocab.has(word)) {
      parts = [word];
    } else {
      parts = Array.from(word);
      while (parts.length > 1) {
        let best = -1;
        let bestRank = Number.POSITIVE_INFINITY;
        for (let i = 0; i < parts.length - 1; i++) {
          const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
          if (rank !== undefined && rank < bestRank) {
            bestRank = rank;
            best = i;
          }
        }
        if (best < 0) break;
        parts.splice(best, 2, parts[best] + parts[best + 1]);
      }
    }
    const ids = parts.map((p) => {
      const id = this.vocab.get(p) ?? this.unkId;
      if (id === undefined)
        throw new AzrError('MODEL_INVALID', `tokenizer: no id for token ${JSON.stringify(p)}`);
      return id;
    });
    if (this.cache.size < 100_000) this.cache.set(word, ids);
    return ids;
  }
}

/** Merges are "a b"; a token may itself be a space-free string, so split on the first space only. */
function splitMerge(merge: string): [string, string] {
  const at = merge.indexOf(' ', 1);
  return [merge.slice(0, at), merge.slice(at + 1)];
}
