// TRR++ advantages (docs/azr.md §5): rewards are normalised separately within each group g = (task type, role).

export type Whitening = 'sequence' | 'token';

export interface AdvantageItem {
  reward: number;
  group: string;
  /** Response length; used only by token-weighted whitening. */
  tokens?: number;
}

export interface GroupStats {
  count: number;
  mean: number;
  std: number;
}

export interface AdvantageOptions {
  /**
   * 'sequence' (paper): A = (r − μ_g) / (σ_g + eps), μ and σ over the group's sequences (population std).
   * 'token' (reference code, veRL's masked_whiten): every response token carries its sequence's reward; μ and σ are
   * token-weighted, σ² uses the unbiased (n − 1) correction, and A = (r − μ_g) / sqrt(σ_g² + 1e-8).
   */
  whitening?: Whitening;
  eps?: number;
}

export function trrAdvantages(
  items: AdvantageItem[],
  options: AdvantageOptions = {},
): { advantages: number[]; groups: Record<string, GroupStats> } {
  const whitening = options.whitening ?? 'sequence';
  const eps = options.eps ?? 1e-6;
  const members = new Map<string, number[]>();
  items.forEach((item, i) => {
    const list = members.get(item.group) ?? [];
    list.push(i);
    members.set(item.group, list);
  });
  const advantages = new Array<number>(items.length).fill(0);
  const groups: Record<string, GroupStats> = {};
  for (const [group, indices] of members) {
    const weight = (i: number) => (whitening === 'token' ? (items[i].tokens ?? 1) : 1);
    const total = indices.reduce((n, i) => n + weight(i), 0);
    const mean = indices.reduce((s, i) => s + weight(i) * items[i].reward, 0) / total;
    const squares = indices.reduce((s, i) => s + weight(i) * (items[i].reward - mean) ** 2, 0);
    if (whitening === 'token') {
      const variance = total > 1 ? squares / (total - 1) : 0;
      for (const i of indices) advantages[i] = (items[i].reward - mean) / Math.sqrt(variance + 1e-8);
      groups[group] = { count: indices.length, mean, std: Math.sqrt(variance) };
    } else {
      const std = Math.sqrt(squares / total);
      for (const i of indices) advantages[i] = (items[i].reward - mean) / (std + eps);
      groups[group] = { count: indices.length, mean, std };
    }
  }
  return { advantages, groups };
}
