// A small character-level grammar engine: context-free rules over literal strings and one-character classes,
// an incremental parser that answers "which characters may come next" (a TextConstraint), and a random derivation
// sampler. The parser keeps every live parse as a stack (a linked list of pending symbols) whose head is a terminal —
// a nondeterministic pushdown automaton that resolves ambiguity as characters arrive. A length budget is part of the
// state: a parse survives only while the text so far plus the shortest way to finish it fits, so every constrained
// sample ends inside the grammar (never cut off by the sampler's token limit).
import type { TextConstraint } from '../../src/plugins/api.ts';
import { AzrError } from '../../src/errors.ts';

/** A symbol in a production: a literal, a one-character class, or a nonterminal (by name). */
export type Sym = { lit: string } | { chars: string } | { nt: string };

export interface Production {
  syms: Sym[];
  /** Relative weight for random derivation (default 1). Ignored by the parser. */
  weight?: number;
  /** Labels counted by random derivation (e.g. 'op', 'if'), for grading what was generated. */
  tags?: string[];
}

export const lit = (s: string): Sym => ({ lit: s });
export const chars = (s: string): Sym => ({ chars: s });
export const nt = (name: string): Sym => ({ nt: name });

/** The rules of a grammar under construction: nonterminal name → productions. */
export class Rules {
  readonly rules = new Map<string, Production[]>();
  has(name: string): boolean {
    return this.rules.has(name);
  }
  /** Defines `name` (once; later definitions of the same name are ignored, which makes memoised builders easy). */
  define(name: string, productions: (Production | Sym[])[]): string {
    if (!this.rules.has(name))
      this.rules.set(
        name,
        productions.map((p) => (Array.isArray(p) ? { syms: p } : p)),
      );
    return name;
  }
}

enum Kind {
  Lit = 0,
  Chars = 1,
  Nt = 2,
}

interface CompiledSym {
  kind: Kind;
  /** Literal text, or the characters of a class. */
  text: string;
  /** Chars: membership by char code (ASCII only). */
  member?: Uint8Array;
  productions?: number[][];
  weights?: number[];
  tags?: (string[] | undefined)[];
  minLen: number;
}

/** A stack of pending symbols; `rest` is the shortest text that completes this stack. */
interface Node {
  sym: number;
  next: Node | null;
  rest: number;
}

/**
 * One live parse: the stack's head is a terminal, `off` characters of it already read. null node = finished.
 * `p`: the parse's share of the probability that random derivation produces the text read so far.
 */
interface Thread {
  node: Node | null;
  off: number;
  p: number;
}

export interface ParseState {
  /** Length of the text read. */
  readonly length: number;
  readonly threads: readonly Thread[];
  /** Characters allowed next (empty when the text is complete or dead). */
  readonly allowed: readonly string[];
  /**
   * For each allowed character, the probability that random derivation (`derive`, production weights, classes
   * uniform) writes it next, given the text so far. Budget pruning is not renormalised per production, so this is
   * derive's distribution up to the budget's effect.
   */
  readonly prior: readonly number[];
  /** The text read is a complete sentence of the grammar. */
  readonly complete: boolean;
}

export class Grammar {
  private readonly syms: CompiledSym[] = [];
  private readonly ids = new Map<string, number>();
  readonly start: number;
  /** Largest number of live parses seen in one state (a health figure for benchmarks). */
  maxThreads = 0;

  constructor(rules: Rules, start: string) {
    const key = (s: Sym) => ('lit' in s ? `L${s.lit}` : 'chars' in s ? `C${s.chars}` : `N${s.nt}`);
    const id = (s: Sym): number => {
      const k = key(s);
      let i = this.ids.get(k);
      if (i !== undefined) return i;
      i = this.syms.length;
      this.ids.set(k, i);
      if ('lit' in s) {
        if (s.lit.length === 0)
          throw new AzrError('PLUGIN_INVALID', 'grammar: empty literal (use an empty production)');
        this.syms.push({ kind: Kind.Lit, text: s.lit, minLen: s.lit.length });
      } else if ('chars' in s) {
        const member = new Uint8Array(128);
        for (const c of s.chars) member[c.charCodeAt(0)] = 1;
        this.syms.push({ kind: Kind.Chars, text: s.chars, member, minLen: 1 });
      } else {
        this.syms.push({ kind: Kind.Nt, text: s.nt, minLen: Number.POSITIVE_INFINITY });
        const productions = rules.rules.get(s.nt);
        if (!productions) throw new AzrError('PLUGIN_INVALID', `grammar: undefined nonterminal ${s.nt}`);
        const compiled = this.syms[i]!;
        compiled.productions = [];
        compiled.weights = productions.map((p) => p.weight ?? 1);
        compiled.tags = productions.map((p) => p.tags);
        for (const p of productions) compiled.productions.push(p.syms.map(id));
      }
      return i;
    };
    this.start = id(nt(start));
    // Shortest expansion of every nonterminal (fixed point).
    for (let changed = true; changed; ) {
      changed = false;
      for (const s of this.syms) {
        if (s.kind !== Kind.Nt) continue;
        for (const p of s.productions!) {
          const len = p.reduce((sum, q) => sum + this.syms[q]!.minLen, 0);
          if (len < s.minLen) {
            s.minLen = len;
            changed = true;
          }
        }
      }
    }
    for (const s of this.syms)
      if (s.minLen === Number.POSITIVE_INFINITY)
        throw new AzrError('PLUGIN_INVALID', `grammar: ${s.text} derives no string`);
  }

  /** Number of nonterminals. */
  get size(): number {
    return this.syms.filter((s) => s.kind === Kind.Nt).length;
  }

  /** Shortest sentence length. */
  get minLength(): number {
    return this.syms[this.start]!.minLen;
  }

  private push(sym: number, next: Node | null): Node {
    return { sym, next, rest: this.syms[sym]!.minLen + (next ? next.rest : 0) };
  }

  /** Expands nonterminals at the head of `node` until every parse has a terminal head; appends the parses. */
  private close(node: Node | null, out: Thread[], p: number, guard = 0): void {
    if (guard > 200) throw new AzrError('PLUGIN_INVALID', 'grammar: left recursion');
    if (node === null) {
      out.push({ node: null, off: 0, p });
      return;
    }
    const s = this.syms[node.sym]!;
    if (s.kind !== Kind.Nt) {
      out.push({ node, off: 0, p });
      return;
    }
    const total = s.weights!.reduce((a, b) => a + b, 0);
    s.productions!.forEach((production, k) => {
      let n = node.next;
      for (let i = production.length - 1; i >= 0; i--) n = this.push(production[i]!, n);
      this.close(n, out, (p * s.weights![k]!) / total, guard + 1);
    });
  }

  /** What the shortest completion of a parse still needs, counting the rest of its head terminal. */
  private needs(t: Thread): number {
    if (t.node === null) return 0;
    const s = this.syms[t.node.sym]!;
    const headLeft = s.kind === Kind.Lit ? s.text.length - t.off : 1;
    return headLeft + (t.node.next ? t.node.next.rest : 0);
  }

  private state(threads: Thread[], length: number, budget: number): ParseState {
    const live = threads.filter((t) => length + this.needs(t) <= budget);
    if (live.length > this.maxThreads) this.maxThreads = live.length;
    // Slot of each allowed character code in `allowed` (+1; 0 = not seen yet).
    const slot = new Uint8Array(128);
    const allowed: string[] = [];
    const prior: number[] = [];
    const add = (code: number, p: number) => {
      if (!slot[code]) {
        allowed.push(String.fromCharCode(code));
        prior.push(0);
        slot[code] = allowed.length;
      }
      prior[slot[code]! - 1]! += p;
    };
    let complete = false;
    let mass = 0;
    for (const t of live) mass += t.p;
    for (const t of live) {
      t.p /= mass;
      if (t.node === null) {
        complete = true;
        continue;
      }
      const s = this.syms[t.node.sym]!;
      if (s.kind === Kind.Lit) add(s.text.charCodeAt(t.off), t.p);
      else for (let i = 0; i < s.text.length; i++) add(s.text.charCodeAt(i), t.p / s.text.length);
    }
    const next = prior.reduce((a, b) => a + b, 0);
    for (let i = 0; i < prior.length; i++) prior[i]! /= next;
    return { length, threads: live, allowed, prior, complete };
  }

  /** The state before any text, under a length budget. */
  initial(budget = Number.POSITIVE_INFINITY): ParseState {
    const out: Thread[] = [];
    this.close(this.push(this.start, null), out, 1);
    return this.state(out, 0, budget);
  }

  /** The state after reading one more character `c`. */
  step(state: ParseState, c: string, budget = Number.POSITIVE_INFINITY): ParseState {
    const code = c.charCodeAt(0);
    const out: Thread[] = [];
    for (const t of state.threads) {
      if (t.node === null) continue;
      const s = this.syms[t.node.sym]!;
      if (s.kind === Kind.Lit) {
        if (s.text.charCodeAt(t.off) !== code) continue;
        if (t.off + 1 < s.text.length) out.push({ node: t.node, off: t.off + 1, p: t.p });
        else this.close(t.node.next, out, t.p);
      } else if (code < 128 && s.member![code]) {
        this.close(t.node.next, out, t.p / s.text.length);
      }
    }
    return this.state(out, state.length + 1, budget);
  }

  /** Reads a whole text; the state after it (dead — no threads — if the grammar rejects a prefix). */
  read(text: string, budget = Number.POSITIVE_INFINITY): ParseState {
    let state = this.initial(budget);
    for (const c of text) state = this.step(state, c, budget);
    return state;
  }

  /** The grammar accepts `text` exactly (as a complete sentence within `budget` characters). */
  accepts(text: string, budget = Number.POSITIVE_INFINITY): boolean {
    return this.read(text, budget).complete;
  }

  /**
   * A random sentence of at most `budget` characters: nonterminals expand by production weight (among those that
   * still fit), character classes pick uniformly. Returns the text and the count of each production tag used.
   */
  derive(random: () => number, budget: number): { text: string; tags: Record<string, number> } {
    if (this.minLength > budget)
      throw new AzrError('PLUGIN_INVALID', `grammar: no sentence fits in ${budget} characters`);
    let text = '';
    const tags: Record<string, number> = {};
    let node: Node | null = this.push(this.start, null);
    while (node) {
      const s: CompiledSym = this.syms[node.sym]!;
      if (s.kind === Kind.Lit) {
        text += s.text;
        node = node.next;
      } else if (s.kind === Kind.Chars) {
        text += s.text[Math.floor(random() * s.text.length)]!;
        node = node.next;
      } else {
        const after = text.length + (node.next ? node.next.rest : 0);
        const fits = s.productions!.map(
          (p) => after + p.reduce((sum, q) => sum + this.syms[q]!.minLen, 0) <= budget,
        );
        const total = s.weights!.reduce((sum, w, i) => sum + (fits[i] ? w : 0), 0);
        let pick = random() * total;
        let chosen = fits.lastIndexOf(true);
        for (let i = 0; i < fits.length; i++) {
          if (!fits[i]) continue;
          pick -= s.weights![i]!;
          if (pick < 0) {
            chosen = i;
            break;
          }
        }
        for (const tag of s.tags![chosen] ?? []) tags[tag] = (tags[tag] ?? 0) + 1;
        let n: Node | null = node.next;
        const p = s.productions![chosen]!;
        for (let i = p.length - 1; i >= 0; i--) n = this.push(p[i]!, n);
        node = n;
      }
    }
    return { text, tags };
  }
}

/** A tighter budget for the part of a text after `marker`: at most `chars` characters follow it. */
export interface TailBudget {
  marker: string;
  chars: number;
}

/**
 * A TextConstraint over a grammar with a length budget (the most characters a completion may have). It caches the
 * parse state of each prefix it has seen, so the sampler's one-call-per-token pattern costs one `step` per call.
 * With `priorWeight` w > 0 it also biases the choice towards what random derivation would write: w · log(prior).
 * With a `tail` budget, once the text contains its marker the budget shrinks to the marker's end + `tail.chars`
 * (e.g. a program of at most N characters after inputs of any length).
 */
export class GrammarConstraint implements TextConstraint {
  /** Parse states by prefix, in two generations: when `recent` fills up, it becomes `older` (one lookup back). */
  private recent = new Map<string, ParseState>();
  private older = new Map<string, ParseState>();
  private readonly root: ParseState;

  constructor(
    readonly grammar: Grammar,
    readonly budget: number,
    readonly priorWeight = 0,
    readonly tail?: TailBudget,
    private readonly generation = 50000,
  ) {
    this.root = grammar.initial(budget);
    if (priorWeight <= 0) this.bias = undefined;
  }

  private cached(prefix: string): ParseState | undefined {
    if (prefix === '') return this.root;
    const hit = this.recent.get(prefix);
    if (hit) return hit;
    const old = this.older.get(prefix);
    if (old) this.remember(prefix, old);
    return old;
  }

  private remember(prefix: string, state: ParseState): void {
    if (this.recent.size >= this.generation) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(prefix, state);
  }

  /** The parse state after `prefix` (dead, with nothing allowed, when the grammar rejects it). */
  stateOf(prefix: string): ParseState {
    const hit = this.cached(prefix);
    if (hit) return hit;
    let from = prefix.length - 1;
    let state = this.cached(prefix.slice(0, from));
    while (!state) state = this.cached(prefix.slice(0, --from));
    const marked = this.tail ? prefix.indexOf(this.tail.marker) : -1;
    const tailStart = marked < 0 ? Number.POSITIVE_INFINITY : marked + this.tail!.marker.length;
    for (let i = from; i < prefix.length; i++) {
      const budget = i + 1 >= tailStart ? Math.min(this.budget, tailStart + this.tail!.chars) : this.budget;
      state = this.grammar.step(state, prefix[i]!, budget);
      this.remember(prefix.slice(0, i + 1), state);
    }
    return state;
  }

  allowedNext(prefix: string): readonly string[] {
    return this.stateOf(prefix).allowed;
  }

  bias?(prefix: string): readonly number[] {
    return this.stateOf(prefix).prior.map((p) => this.priorWeight * Math.log(p));
  }
}
