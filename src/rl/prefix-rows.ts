// Training rows for next-token losses. A row is one sequence, or several that share their first tokens (a program's
// pairs, a task's rollouts): the shared prefix is stored once and each sequence's rest follows it, with a mask that
// lets a branch see the prefix and itself only, and positions that continue the prefix's. Every target token is
// predicted from exactly what it would see in a row of its own, so the losses and gradients are the same; the prefix
// is computed once (docs/learning.md, session 15).
import { NEG_INF } from '../model/ops.ts';

export interface TokenSequence {
  ids: number[];
  /** Index in `ids` of the first target token: the tokens before it are context only. */
  firstTarget: number;
}

export interface RowLayout<T extends TokenSequence> {
  rows: number;
  width: number;
  /** [rows, width]: the input token of every column (0 in padding). */
  inputs: Int32Array;
  /** [rows, width]: the token each column predicts (0 in padding). */
  targets: Int32Array;
  /** [rows, width]: rotary positions (a branch continues its prefix's). */
  positions: Int32Array;
  /** Additive [rows, width, width] attention mask where a row holds several sequences; null: plain causal. */
  mask: Float32Array | null;
  /** Where each sequence lies: token t of `sequence` (t < ids.length − 1) is column `column(t)` of row `row`. */
  placed: Array<{ sequence: T; row: number; column: (t: number) => number }>;
}

/** Prefixes shorter than this are not shared: a row of branches costs more attention than it saves. */
const MIN_SHARED = 16;

/**
 * The sequences in groups of at most `maxBranches` that share at least MIN_SHARED tokens before every member's first
 * target and lay out in at most `maxWidth` columns (sorted by their tokens, so equal prefixes meet); a sequence that
 * shares nothing is a group of its own.
 */
export function prefixGroups<T extends TokenSequence>(
  sequences: readonly T[],
  maxWidth: number,
  maxBranches = 4,
): T[][] {
  const sorted = [...sequences].sort((a, b) => compareIds(a.ids, b.ids));
  const groups: T[][] = [];
  let shared = 0;
  for (const s of sorted) {
    const group = groups[groups.length - 1];
    const common = group ? Math.min(shared, sharedLength([group[0]!, s])) : 0;
    if (
      group &&
      group.length < maxBranches &&
      common >= MIN_SHARED &&
      widthOf([...group, s], common) <= maxWidth
    ) {
      group.push(s);
      shared = common;
    } else {
      groups.push([s]);
      shared = Number.POSITIVE_INFINITY;
    }
  }
  return groups;
}

/** Lays `rows` out (each a group from `prefixGroups`, or one sequence), right-padded to the widest row. */
export function layoutRows<T extends TokenSequence>(rows: readonly (readonly T[])[]): RowLayout<T> {
  const shapes = rows.map((group) => {
    const shared = group.length > 1 ? sharedLength(group) : 0;
    return { shared, width: widthOf(group, shared) };
  });
  const width = Math.max(...shapes.map((s) => s.width));
  const count = rows.length;
  const inputs = new Int32Array(count * width);
  const targets = new Int32Array(count * width);
  const positions = new Int32Array(count * width);
  const branched = rows.some((group) => group.length > 1);
  const mask = branched ? new Float32Array(count * width * width).fill(NEG_INF) : null;
  const placed: RowLayout<T>['placed'] = [];
  rows.forEach((group, row) => {
    const { shared, width: used } = shapes[row]!;
    const base = row * width;
    /** Column c sees columns [from, c] of its own branch, and the prefix. */
    const see = (c: number, from: number) => {
      if (!mask) return;
      const line = (base + c) * width;
      mask.fill(0, line, line + Math.min(shared, c + 1));
      mask.fill(0, line + from, line + c + 1);
    };
    for (let t = 0; t < shared; t++) {
      inputs[base + t] = group[0]!.ids[t]!;
      targets[base + t] = group[0]!.ids[t + 1]!;
      positions[base + t] = t;
      see(t, t);
    }
    let start = shared;
    for (const sequence of group) {
      const begin = start;
      const column = (t: number) => (t < shared ? t : begin + t - shared);
      for (let t = shared; t < sequence.ids.length - 1; t++) {
        const c = column(t);
        inputs[base + c] = sequence.ids[t]!;
        targets[base + c] = sequence.ids[t + 1]!;
        positions[base + c] = t;
        see(c, begin);
      }
      placed.push({ sequence, row, column });
      start += sequence.ids.length - 1 - shared;
    }
    // Padding columns attend causally: their outputs carry no weight, but a row of −∞ would be NaN.
    for (let c = used; c < width; c++) see(c, 0);
  });
  return { rows: count, width, inputs, targets, positions, mask, placed };
}

/** The columns a row of `group` takes. */
export function rowWidth(group: readonly TokenSequence[]): number {
  return widthOf(group, group.length > 1 ? sharedLength(group) : 0);
}

function widthOf(group: readonly TokenSequence[], shared: number): number {
  return shared + group.reduce((n, s) => n + s.ids.length - 1 - shared, 0);
}

/** How many first tokens all of `group` share, stopping one before the earliest first target. */
function sharedLength(group: readonly TokenSequence[]): number {
  const first = group[0]!.ids;
  let n = Math.min(...group.map((s) => s.firstTarget - 1));
  for (const s of group.slice(1)) {
    let k = 0;
    while (k < n && s.ids[k] === first[k]) k++;
    n = k;
  }
  return Math.max(0, n);
}

function compareIds(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
