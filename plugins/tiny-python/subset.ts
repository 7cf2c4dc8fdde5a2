// The tiny-python subset: a type-directed grammar of one-argument Python functions, their inputs and their answers.
// The proposer writes the input FIRST, and the input's type (int, str or list of ints) selects which expressions the
// program may use, so string methods apply to strings, sum() to lists, // and % divide by a non-zero digit, and so on.
// Every sentence is valid Python; most also run. See docs/tiny-python.md for the listing and the reasons.
import { chars, Grammar, lit, nt, type Production, Rules, type Sym } from './grammar.ts';

export type ArgType = 'int' | 'str' | 'list';
type VarType = ArgType;

/** Variables in scope: x (the argument), e (a loop / comprehension element), y (an assigned local). */
interface Env {
  x: ArgType;
  e?: 'int' | 'str';
  y?: VarType;
}

const DIGITS = '0123456789';
const NONZERO = '123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const INPUT_CHARS = `${LOWER}${LOWER.toUpperCase()} `;
/** Printable ASCII but the quote and the backslash: what a repr'd string of this subset can hold. */
const STRING_CHARS = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))
  .filter((c) => c !== "'" && c !== '\\')
  .join('');

/** Longest input string literal (characters between the quotes) and input list. */
export const MAX_INPUT_STRING = 12;
export const MAX_INPUT_LIST = 5;
/** Expression nesting depth of a return value (calls, parentheses, comprehensions). */
const DEPTH = 2;

export const PROGRAM_HEADER = 'def f(x):\n';
/** Between the input and the program in a proposal (the proposer prompt ends with "# input\n"). */
export const PROGRAM_SECTION = '\n# program\n';
/** Between two inputs of a proposal with several (`inputsPerProposal`, docs/azr.md §4). */
export const INPUT_SECTION = '\n# input\n';
/** What ends a proposal (a stop string of the proposer prompt). */
export const PROPOSAL_END = '# output';
/** What ends an answer (the solver prompt's stop string). */
export const ANSWER_END = '\n';

const envKey = (env: Env) => `x${env.x}${env.e ? `,e${env.e}` : ''}${env.y ? `,y${env.y}` : ''}`;
const vars = (env: Env, type: VarType) =>
  (['x', 'e', 'y'] as const).filter((v) => env[v] === type).map((v) => lit(v));

class SubsetBuilder {
  readonly r = new Rules();

  constructor() {
    const r = this.r;
    r.define('digit', [[chars(DIGITS)]]);
    r.define('nz', [[chars(NONZERO)]]);
    // A small non-negative int literal: 0..99, no leading zero.
    // Literals in programs: one digit (numbers in programs are operands, not data).
    r.define('smallint', [[chars(DIGITS)]]);
    r.define('sign', [[], [lit('-')]]);
    r.define('idx', [[lit('0')], [lit('1')], [lit('2')], [lit('-1')], [lit('-2')]]);
    r.define('charlit', [[lit("'"), chars(LOWER), lit("'")]]);
    r.define('strlit', [
      [lit("''")],
      [lit("'"), chars(LOWER), lit("'")],
      [lit("'"), chars(LOWER), chars(LOWER), lit("'")],
    ]);
    r.define('listlit', [[lit('['), nt('smallint'), nt('listlit.more2')]]);
    r.define('listlit.more2', [[lit(']')], [lit(', '), nt('smallint'), nt('listlit.more1')]]);
    r.define('listlit.more1', [[lit(']')], [lit(', '), nt('smallint'), lit(']')]]);
    r.define(
      'cmp',
      ['==', '!=', '<', '>', '<=', '>='].map((op) => [lit(` ${op} `)]),
    );
    // Slices and indexing (postfix on strings and lists).
    r.define('slice', [
      { syms: [lit('[::-1]')], weight: 3, tags: ['op'] },
      { syms: [lit('['), nt('idx'), lit(':]')], tags: ['op'] },
      { syms: [lit('[:'), nt('idx'), lit(']')], tags: ['op'] },
      { syms: [lit('['), nt('idx'), lit(':'), nt('idx'), lit(']')], tags: ['op'] },
    ]);
    this.inputs();
    this.values();
  }

  private inputs() {
    const r = this.r;
    // int: -99..99
    r.define('input.int', [[lit('0')], [nt('sign'), chars(NONZERO), nt('input.int.more')]]);
    r.define('input.int.more', [[], [chars(DIGITS)]]);
    // str: 1..12 letters or spaces, e.g. 'Hello World' (the seed)
    let rest = r.define(`input.str.0`, [[lit("'")]]);
    for (let k = 1; k < MAX_INPUT_STRING; k++)
      rest = r.define(`input.str.${k}`, [[lit("'")], [chars(INPUT_CHARS), nt(rest)]]);
    r.define('input.str', [[lit("'"), chars(INPUT_CHARS), nt(rest)]]);
    // list: 1..5 ints of -99..99
    let more = r.define('input.list.0', [[lit(']')]]);
    for (let k = 1; k < MAX_INPUT_LIST; k++)
      more = r.define(`input.list.${k}`, [[lit(']')], [lit(', '), nt('input.int'), nt(more)]]);
    r.define('input.list', [[lit('['), nt('input.int'), nt(more)]]);
  }

  private values() {
    const r = this.r;
    r.define('value.digits', [[], [chars(DIGITS), nt('value.digits')]]);
    r.define('value.int', [
      [nt('sign'), lit('0')],
      [nt('sign'), chars(NONZERO), nt('value.digits')],
    ]);
    r.define('value.strchars', [[], [chars(STRING_CHARS), nt('value.strchars')]]);
    r.define('value.str', [[lit("'"), nt('value.strchars'), lit("'")]]);
    r.define('value.bool', [[lit('True')], [lit('False')]]);
    r.define('value.elem', [[nt('value.int')], [nt('value.str')], [nt('value.bool')]]);
    r.define('value.more', [[lit(']')], [lit(', '), nt('value.elem'), nt('value.more')]]);
    r.define('value.list', [[lit('[]')], [lit('['), nt('value.elem'), nt('value.more')]]);
    r.define('value', [[nt('value.int')], [nt('value.str')], [nt('value.bool')], [nt('value.list')]]);
  }

  /** Whether an expression of `type` exists at depth d (d < 0: variables only). */
  avail(type: VarType, env: Env, d: number): boolean {
    if (d < 0) return vars(env, type).length > 0;
    if (type === 'list') return vars(env, 'list').length > 0 || (d >= 1 && env.x === 'int');
    return true;
  }

  /** An expression of `type` (with operators), or at d < 0 a variable of that type. */
  expr(type: VarType, env: Env, d: number): string {
    if (d < 0)
      return this.r.define(
        `var.${type}.${envKey(env)}`,
        vars(env, type).map((v) => [v]),
      );
    if (type === 'int') return this.int(env, d);
    if (type === 'str') return this.str(env, d);
    return this.list(env, d);
  }

  /** An operand of `type`: an expression without binary operators (postfix allowed), or a variable at d < 0. */
  unit(type: VarType, env: Env, d: number): string {
    if (d < 0) return this.expr(type, env, d);
    if (type === 'int') return this.intUnit(env, d);
    if (type === 'str') return this.strUnit(env, d);
    return this.listUnit(env, d);
  }

  /**
   * An operand of `type` followed by up to two binary operations: `ops(u, next)` lists them, with `u` the operand
   * and `next` the rest of the chain (empty at the last).
   */
  private chain(
    type: 'int' | 'str',
    env: Env,
    d: number,
    ops: (u: Sym, next: Sym[]) => Production[],
  ): string {
    const name = `${type}.${envKey(env)}.${d}`;
    if (this.r.has(name)) return name;
    const u = nt(type === 'int' ? this.intUnit(env, d) : this.strUnit(env, d));
    const tail = (k: number): string => {
      const next = k > 1 ? [nt(tail(k - 1))] : [];
      return this.r.define(`${type}.tail${k}.${envKey(env)}.${d}`, [
        { syms: [], weight: 4 },
        ...ops(u, next),
      ]);
    };
    return this.r.define(name, [[u, nt(tail(2))]]);
  }

  int(env: Env, d: number): string {
    return this.chain('int', env, d, (u, next) => [
      ...[' + ', ' - ', ' * '].map((op) => ({ syms: [lit(op), u, ...next], tags: ['op'] })),
      ...[' // ', ' % '].map((op) => ({ syms: [lit(op), nt('nz'), ...next], tags: ['op'] })),
    ]);
  }

  intUnit(env: Env, d: number): string {
    const name = `int.unit.${envKey(env)}.${d}`;
    if (this.r.has(name)) return name;
    const p: Production[] = [{ syms: [nt('smallint')], weight: 1 }];
    for (const v of vars(env, 'int')) p.push({ syms: [v], weight: 3 });
    const sized = (['str', 'list'] as const).filter((t) => this.avail(t, env, d - 1));
    for (const t of sized)
      p.push({ syms: [lit('len('), nt(this.expr(t, env, d - 1)), lit(')')], tags: ['op'], weight: 2 });
    if (this.avail('list', env, d - 1)) {
      for (const fn of ['sum', 'max', 'min'])
        p.push({ syms: [lit(`${fn}(`), nt(this.expr('list', env, d - 1)), lit(')')], tags: ['op'] });
      p.push({ syms: [nt(this.unit('list', env, d - 1)), lit('['), nt('idx'), lit(']')], tags: ['op'] });
    }
    if (this.avail('str', env, d - 1) && d >= 1)
      p.push({
        syms: [nt(this.unit('str', env, d - 1)), lit('.count('), nt('charlit'), lit(')')],
        tags: ['op'],
      });
    if (d >= 1) {
      p.push({ syms: [lit('('), nt(this.int(env, d - 1)), lit(')')], weight: 0.5 });
      p.push({ syms: [lit('abs('), nt(this.int(env, d - 1)), lit(')')], tags: ['op'], weight: 0.5 });
    }
    return this.r.define(name, p);
  }

  str(env: Env, d: number): string {
    return this.chain('str', env, d, (u, next) => [
      { syms: [lit(' + '), u, ...next], tags: ['op'] },
      { syms: [lit(' * '), nt('nz'), ...next], tags: ['op'], weight: 0.5 },
    ]);
  }

  strUnit(env: Env, d: number): string {
    const name = `str.unit.${envKey(env)}.${d}`;
    if (this.r.has(name)) return name;
    const atoms: Production[] = [{ syms: [nt('strlit')], weight: 0.5 }];
    for (const v of vars(env, 'str')) atoms.push({ syms: [v], weight: 3 });
    if (this.avail('int', env, d - 1))
      atoms.push({ syms: [lit('str('), nt(this.expr('int', env, d - 1)), lit(')')], tags: ['op'] });
    if (d >= 1) {
      atoms.push({ syms: [lit('('), nt(this.str(env, d - 1)), lit(')')], weight: 0.3 });
      if (this.avail('str', env, d - 1))
        atoms.push({
          syms: [lit("''.join(sorted("), nt(this.expr('str', env, d - 1)), lit('))')],
          tags: ['op'],
          weight: 0.5,
        });
    }
    const atom = this.r.define(`str.atom.${envKey(env)}.${d}`, atoms);
    const post = (k: number): string =>
      this.r.define(`str.post${k}`, [
        { syms: [], weight: 3 },
        ...(
          [[nt('slice')], [lit('.upper()')], [lit('.lower()')], [lit('['), nt('idx'), lit(']')]] as Sym[][]
        ).map((syms) => ({
          syms: [...syms, ...(k > 1 ? [nt(post(k - 1))] : [])],
          tags: syms.length === 1 && 'nt' in syms[0]! ? [] : ['op'],
        })),
      ]);
    return this.r.define(name, [[nt(atom), nt(post(2))]]);
  }

  list(env: Env, d: number): string {
    const name = `list.${envKey(env)}.${d}`;
    if (this.r.has(name)) return name;
    const u = nt(this.listUnit(env, d));
    const tail = this.r.define(`list.tail.${envKey(env)}.${d}`, [
      { syms: [], weight: 4 },
      { syms: [lit(' + '), u], tags: ['op'] },
      { syms: [lit(' + '), nt('listlit')], tags: ['op'] },
    ]);
    return this.r.define(name, [[u, nt(tail)]]);
  }

  listUnit(env: Env, d: number): string {
    const name = `list.unit.${envKey(env)}.${d}`;
    if (this.r.has(name)) return name;
    const atoms: Production[] = vars(env, 'list').map((v) => ({ syms: [v], weight: 3 }));
    if (d >= 1) {
      if (this.avail('list', env, d - 1))
        atoms.push({ syms: [lit('sorted('), nt(this.expr('list', env, d - 1)), lit(')')], tags: ['op'] });
      // [ELEM for e in ITER (if COND)?] with e an int.
      const inner: Env = { ...env, e: 'int' };
      const iters: Sym[][] = [];
      if (this.avail('list', env, d - 1)) iters.push([nt(this.expr('list', env, d - 1))]);
      if (env.x === 'int') iters.push([lit('range(x)')]);
      const iter = this.r.define(
        `list.iter.${envKey(env)}.${d}`,
        iters.map((syms) => [...syms]),
      );
      const filter = this.r.define(`list.filter.${envKey(env)}`, [
        { syms: [], weight: 2 },
        { syms: [lit(' if '), nt(this.boolUnit(inner, 0))], tags: ['if'] },
      ]);
      if (iters.length > 0)
        atoms.push({
          syms: [lit('['), nt(this.int(inner, 0)), lit(' for e in '), nt(iter), nt(filter), lit(']')],
          tags: ['comp'],
          weight: 2,
        });
    }
    const atom = this.r.define(`list.atom.${envKey(env)}.${d}`, atoms);
    const post = this.r.define('list.post', [{ syms: [], weight: 3 }, [nt('slice')]]);
    return this.r.define(name, [[nt(atom), nt(post)]]);
  }

  /** What may follow an int to make a condition: a comparison, or membership in a list. */
  intCond(env: Env, d: number): string {
    const p: Production[] = [{ syms: [nt('cmp'), nt(this.int(env, d))], tags: ['cmp'], weight: 3 }];
    if (this.avail('list', env, d))
      p.push({ syms: [lit(' in '), nt(this.expr('list', env, d))], tags: ['cmp'] });
    return this.r.define(`bool.intcond.${envKey(env)}.${d}`, p);
  }

  /** A condition without and/or (left-factored: each starts with a different kind of operand). */
  boolUnit(env: Env, d: number): string {
    const name = `bool.unit.${envKey(env)}.${d}`;
    if (this.r.has(name)) return name;
    const strVar = vars(env, 'str').length > 0;
    const p: Production[] = [
      { syms: [nt(this.int(env, d)), nt(this.intCond(env, d))], weight: 3 },
      {
        syms: [nt(this.str(env, d)), lit(' == '), nt(this.str(env, d))],
        tags: ['cmp'],
        weight: strVar ? 1 : 0.2,
      },
    ];
    if (strVar || d >= 1) p.push({ syms: [nt('charlit'), lit(' in '), nt(this.str(env, d))], tags: ['cmp'] });
    return this.r.define(name, p);
  }

  boolTail(env: Env, d: number): string {
    const u = nt(this.boolUnit(env, d));
    return this.r.define(`bool.tail.${envKey(env)}.${d}`, [
      { syms: [], weight: 4 },
      { syms: [lit(' and '), u], tags: ['op'] },
      { syms: [lit(' or '), u], tags: ['op'] },
    ]);
  }

  bool(env: Env, d: number): string {
    return this.r.define(`bool.${envKey(env)}.${d}`, [
      [nt(this.boolUnit(env, d)), nt(this.boolTail(env, d))],
    ]);
  }

  /** A return value: any type the scope supports, or a condition — left-factored on the leading operand. */
  value(env: Env, d: number): string {
    const name = `value.${envKey(env)}.${d}`;
    if (this.r.has(name)) return name;
    const own = (t: VarType) => (vars(env, t).length > 0 ? 3 : 1);
    const tail = nt(this.boolTail(env, d));
    const intRest = this.r.define(`value.intrest.${envKey(env)}.${d}`, [
      { syms: [], weight: 4 },
      { syms: [nt(this.intCond(env, d)), tail] },
    ]);
    const strRest = this.r.define(`value.strrest.${envKey(env)}.${d}`, [
      { syms: [], weight: 6 },
      { syms: [lit(' == '), nt(this.str(env, d)), tail], tags: ['cmp'] },
    ]);
    const p: Production[] = [
      { syms: [nt(this.int(env, d)), nt(intRest)], weight: own('int') },
      { syms: [nt(this.str(env, d)), nt(strRest)], weight: own('str') },
    ];
    if (this.avail('list', env, d)) p.push({ syms: [nt(this.expr('list', env, d))], weight: own('list') });
    if (vars(env, 'str').length > 0)
      p.push({ syms: [nt('charlit'), lit(' in '), nt(this.str(env, d)), tail], tags: ['cmp'], weight: 0.3 });
    return this.r.define(name, p);
  }

  ret(env: Env): string {
    return this.r.define(`ret.${envKey(env)}`, [[lit('    return '), nt(this.value(env, DEPTH)), lit('\n')]]);
  }

  /** `if COND:` / `return A` / `return B`. */
  branch(env: Env): Production {
    return {
      syms: [
        lit('    if '),
        nt(this.bool(env, 1)),
        lit(':\n        return '),
        nt(this.value(env, 1)),
        lit('\n'),
        nt(this.ret(env)),
      ],
      tags: ['if'],
    };
  }

  body(x: ArgType): string {
    const env: Env = { x };
    const p: Production[] = [
      { syms: [nt(this.ret(env))], weight: 3 },
      { ...this.branch(env), weight: 2 },
    ];
    // y = EXPR, then a return or a branch that may use y.
    for (const t of ['int', 'str', 'list'] as const) {
      if (!this.avail(t, env, 1)) continue;
      const inner: Env = { x, y: t };
      const rest = this.r.define(`body.after.${envKey(inner)}`, [[nt(this.ret(inner))], this.branch(inner)]);
      p.push({
        syms: [lit('    y = '), nt(this.expr(t, env, 1)), lit('\n'), nt(rest)],
        tags: ['assign'],
        weight: 0.5,
      });
    }
    // An accumulating loop over a list (int total) or a string (str total).
    if (x === 'list' || x === 'str') {
      const e = x === 'list' ? 'int' : 'str';
      const inner: Env = { x, e, y: e };
      const init = e === 'int' ? '0' : "''";
      p.push({
        syms: [
          lit(`    y = ${init}\n    for e in x:\n        y = `),
          nt(this.expr(e, inner, 1)),
          lit('\n'),
          nt(this.ret({ x, y: e })),
        ],
        tags: ['loop'],
        weight: 1,
      });
    }
    return this.r.define(`body.${x}`, p);
  }

  /** A proposal with `inputs` inputs of one type, then a program for that type (docs/azr.md §4). */
  proposal(inputs = 1): string {
    const p = (['int', 'str', 'list'] as const).map((t) => ({
      syms: [
        nt(`input.${t}`),
        ...Array.from({ length: inputs - 1 }, () => [lit(INPUT_SECTION), nt(`input.${t}`)]).flat(),
        lit(PROGRAM_SECTION + PROGRAM_HEADER),
        nt(this.body(t)),
        lit(PROPOSAL_END),
      ],
      weight: 1,
    }));
    return this.r.define(proposalStart(inputs), p);
  }

  program(x: ArgType): string {
    return this.r.define(`program.${x}`, [[lit(PROGRAM_HEADER), nt(this.body(x))]]);
  }
}

let cached: SubsetBuilder | undefined;
function builder(): SubsetBuilder {
  if (!cached) {
    cached = new SubsetBuilder();
    cached.proposal();
    for (const t of ['int', 'str', 'list'] as const) cached.program(t);
  }
  return cached;
}

const grammars = new Map<string, Grammar>();
function grammarFor(start: string): Grammar {
  let g = grammars.get(start);
  if (!g) {
    const b = builder();
    const r = new Rules();
    for (const [k, v] of b.r.rules) r.rules.set(k, v);
    if (start.startsWith('answer.')) {
      const inner = start.slice('answer.'.length);
      r.define(start, [[nt(inner), lit(ANSWER_END)]]);
    }
    g = new Grammar(r, start);
    grammars.set(start, g);
  }
  return g;
}

/** The start symbol of a proposal with `inputs` inputs. */
const proposalStart = (inputs: number) => (inputs === 1 ? 'proposal' : `proposal.${inputs}`);

/**
 * A whole proposal: `INPUT "\n# program\n" "def f(x):\n" BODY "# output"` (what follows a "# input\n" header); with
 * `inputs` k > 1, k inputs of one type, each after the first in its own "# input" section, before the program.
 */
export function proposalGrammar(inputs = 1): Grammar {
  builder().proposal(inputs);
  return grammarFor(proposalStart(inputs));
}
/** An input literal of a type, followed by the answer terminator "\n". */
export const inputAnswerGrammar = (x: ArgType): Grammar => grammarFor(`answer.input.${x}`);
/** An output literal (int, str, bool or list of them), followed by "\n". */
export const valueAnswerGrammar = (): Grammar => grammarFor('answer.value');

/** The type of an input literal of the subset (by its first character), or undefined. */
export function inputType(input: string): ArgType | undefined {
  const c = input.trim()[0];
  if (c === "'") return 'str';
  if (c === '[') return 'list';
  if (c !== undefined && /[-0-9]/.test(c)) return 'int';
  return undefined;
}
