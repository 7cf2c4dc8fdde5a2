import { readFileSync } from 'node:fs';
import { unpack } from 'msgpackr';
import { outputType } from './plugins/output-balance/index.ts';
for (const dir of process.argv.slice(2)) {
  const state = unpack(readFileSync(dir)) as Record<string, any>;
  const find = (o: any, depth = 0): any[] => {
    if (!o || typeof o !== 'object' || depth > 4) return [];
    if (o.kind === 'azr-buffer') return [o];
    return Object.values(o).flatMap((v) => find(v, depth + 1));
  };
  for (const buf of find(state)) {
    if (buf.mode !== 'deduction') continue;
    const tasks = buf.tasks as any[];
    const props = new Map<string, number>();
    for (const t of tasks) props.set(`${t.step}\u0000${t.code}`, t.step);
    const seen = new Set<string>();
    let repeat = 0, total = 0;
    for (const k of [...props.keys()].sort((a, b) => props.get(a)! - props.get(b)!)) { const code = k.split('\u0000')[1]!; total++; if (seen.has(code)) repeat++; seen.add(code); }
    const counts = new Map<string, number>();
    for (const t of tasks) counts.set(t.code, (counts.get(t.code) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, n]) => `${n}:${JSON.stringify(c.slice(10))}`);
    const last = tasks.slice(-2000); const tc: Record<string, number> = {};
    for (const t of last) tc[outputType(t.output)] = (tc[outputType(t.output)] ?? 0) + 1;
    const types = Object.entries(tc).sort().map(([k, v]) => `${k} ${Math.round(v / 20)}`).join('/');
    console.log(dir.split('/').slice(-4, -3)[0], 'tasks', tasks.length, 'proposals', total, 'repeats', (repeat / total).toFixed(2), 'distinct', seen.size, types, top.join(' '));
  }
}
