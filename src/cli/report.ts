// `azr report RUN_DIR`: writes RUN_DIR/report.html (learning curves, self-contained) and prints its path.
// `azr report RUN_DIR RUN_DIR… [--out FILE]`: one page comparing the runs' held-out curves (default compare.html).
import { ReportError, writeComparison, writeReport } from '../report/index.ts';

const usage = 'usage: azr report RUN_DIR | azr report RUN_DIR RUN_DIR… [--out FILE]';
const help = `${usage}
one RUN_DIR: writes RUN_DIR/report.html with the learning curves of a run written by \`azr run\`
several: writes FILE (default ./compare.html), their held-out accuracy against steps, wall minutes and new tasks seen`;

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(help);
    return 0;
  }
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const dirs = outAt >= 0 ? args.filter((_, i) => i !== outAt && i !== outAt + 1) : args;
  const problem = argumentProblem(dirs, outAt >= 0, out);
  if (problem !== undefined) {
    console.error(`azr report: ${problem}\n${usage}`);
    return 2;
  }
  try {
    console.log(
      dirs.length === 1 ? await writeReport(dirs[0]!) : await writeComparison(dirs, out ?? 'compare.html'),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    console.error(`azr report: ${error.message}`);
    return 2;
  }
}

/** What is wrong with the arguments, if anything: the RUN_DIRs, whether --out was given, and its value. */
function argumentProblem(dirs: string[], hasOut: boolean, out: string | undefined): string | undefined {
  const unknown = dirs.find((arg) => arg.startsWith('-'));
  if (unknown !== undefined) return `unknown option ${unknown}`;
  if (hasOut && (out === undefined || out.startsWith('-'))) return '--out needs a FILE';
  if (dirs.length === 0) return 'expected a RUN_DIR';
  if (dirs.length === 1 && hasOut)
    return '--out is for comparing several runs (one run writes RUN_DIR/report.html)';
  return undefined;
}
