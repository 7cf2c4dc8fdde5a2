// `azr report RUN_DIR`: writes RUN_DIR/report.html (learning curves, self-contained) and prints its path.
import { ReportError, writeReport } from '../report/index.ts';

const usage = 'usage: azr report RUN_DIR';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      `${usage}\nwrites RUN_DIR/report.html with the learning curves of a run written by \`azr run\``,
    );
    return 0;
  }
  const unknown = args.find((arg) => arg.startsWith('-'));
  if (unknown !== undefined || args.length !== 1) {
    console.error(
      unknown !== undefined
        ? `azr report: unknown option ${unknown}\n${usage}`
        : `azr report: expected one RUN_DIR\n${usage}`,
    );
    return 2;
  }
  try {
    console.log(await writeReport(args[0]!));
    return 0;
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    console.error(`azr report: ${error.message}`);
    return 2;
  }
}
