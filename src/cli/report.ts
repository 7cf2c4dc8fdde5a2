// `azr report RUN_DIR`: writes RUN_DIR/report.html (learning curves, self-contained) and prints its path.
// `azr report RUN_DIR RUN_DIR… [--out FILE]`: one page comparing the runs' held-out curves (default compare.html).
// `azr report RUN_DIR… --chart ID [--out FILE]`: one chart of that comparison as an SVG file (default ID.svg).
import { ReportError, writeComparison, writeComparisonChart, writeReport } from '../report/index.ts';

const usage =
  'usage: azr report RUN_DIR | azr report RUN_DIR RUN_DIR… [--out FILE] | azr report RUN_DIR… --chart ID [--out FILE]';
const help = `${usage}
one RUN_DIR: writes RUN_DIR/report.html with the learning curves of a run written by \`azr run\`
several: writes FILE (default ./compare.html), their held-out accuracy against steps, wall minutes and new tasks seen
--chart ID: writes only that chart of the comparison, as an SVG file (default ./ID.svg); IDs are
  heldout-<mode>-<step|minutes|tasks>, e.g. heldout-ema.deduction-tasks`;

/** `--name VALUE` taken out of `args`: its value (null when the flag has none), undefined when absent. */
function takeOption(args: string[], name: string): string | null | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const [, value] = args.splice(at, 2);
  return value === undefined || value.startsWith('-') ? null : value;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(help);
    return 0;
  }
  const dirs = [...argv];
  const out = takeOption(dirs, '--out');
  const chart = takeOption(dirs, '--chart');
  const problem = argumentProblem(dirs, out, chart);
  if (problem !== undefined) {
    console.error(`azr report: ${problem}\n${usage}`);
    return 2;
  }
  try {
    console.log(
      typeof chart === 'string'
        ? await writeComparisonChart(dirs, chart, out ?? `${chart}.svg`)
        : dirs.length === 1
          ? await writeReport(dirs[0]!)
          : await writeComparison(dirs, out ?? 'compare.html'),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    console.error(`azr report: ${error.message}`);
    return 2;
  }
}

/** What is wrong with the arguments, if anything: the RUN_DIRs, and the values of --out and --chart. */
function argumentProblem(
  dirs: string[],
  out: string | null | undefined,
  chart: string | null | undefined,
): string | undefined {
  const unknown = dirs.find((arg) => arg.startsWith('-'));
  if (unknown !== undefined) return `unknown option ${unknown}`;
  if (out === null) return '--out needs a FILE';
  if (chart === null) return '--chart needs a chart ID, e.g. heldout-deduction-tasks';
  if (dirs.length === 0) return 'expected a RUN_DIR';
  if (dirs.length === 1 && out !== undefined && chart === undefined)
    return '--out is for comparing several runs (one run writes RUN_DIR/report.html)';
  return undefined;
}
