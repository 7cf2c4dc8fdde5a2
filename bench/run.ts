// `npm run bench -- NAME` runs bench/NAME.ts. Each benchmark prints human-readable figures and,
// as its last line, one JSON object with the figures.
import { readdirSync } from 'node:fs';

const name = process.argv[2];
const available = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (NAME: ${available.join(', ')})`);
  process.exit(2);
}
await import(`./${name}.ts`);
