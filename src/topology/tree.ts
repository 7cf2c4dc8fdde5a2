import type { TreeNode } from '../runtime/index.ts';

/** The supervision tree as indented text: who supervises whom, where each actor runs. */
export function formatTree(node: TreeNode, prefix = '', last = true, root = true): string {
  const label =
    node.kind === 'supervisor'
      ? `${node.name} (supervisor: ${node.detail})`
      : `${node.name} [${node.kind}] ${node.detail}`;
  const line = root ? label : `${prefix}${last ? '└─ ' : '├─ '}${label}`;
  const childPrefix = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
  const children = node.children ?? [];
  return [
    line,
    ...children.map((child, i) => formatTree(child, childPrefix, i === children.length - 1, false)),
  ].join('\n');
}
