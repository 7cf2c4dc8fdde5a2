// Throughput of JavaScript validation: `node --import tsx plugins/javascript/bench.ts [workers]`.
import { JsPool } from './pool.ts';
const size = Number(process.argv[2] ?? 4);
const pool = new JsPool({ size });
const job = (i: number) => ({
  op: 'validate' as const,
  code: 'function f(s, n) { return s.split("").reverse().join("") + n; }',
  inputs: [`'abc${i}', ${i}`],
  maxOutputChars: 400,
});
await Promise.all(Array.from({ length: size * 4 }, (_, i) => pool.run(job(i))));
const n = 4000;
const t = performance.now();
const rs = await Promise.all(Array.from({ length: n }, (_, i) => pool.run(job(i))));
const s = (performance.now() - t) / 1000;
console.log(
  `size ${size}: ${n} validations in ${s.toFixed(2)} s = ${(n / s).toFixed(0)}/s, valid ${rs.filter((r) => r.ok && r.value.valid).length}`,
);
await pool.close();
