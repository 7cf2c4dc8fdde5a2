// `report.html` for a run directory: learning curves as one self-contained page; and one page comparing runs.
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderComparison, renderComparisonChart } from './compare.ts';
import { renderReport } from './html.ts';
import { loadRun } from './metrics.ts';

export {
  type ComparisonAxis,
  heldoutAgainst,
  renderComparison,
  renderComparisonChart,
  runLabels,
} from './compare.ts';
export { type RenderOptions, renderReport } from './html.ts';

export { loadRun, parseMetrics, parseSummary, ReportError, type RunData } from './metrics.ts';

/** Writes RUN_DIR/report.html and returns its path; throws ReportError when the directory holds no run. */
export async function writeReport(runDir: string): Promise<string> {
  const run = await loadRun(runDir);
  const file = join(run.runDir, 'report.html');
  await writePage(file, renderReport(run));
  return file;
}

/**
 * Writes the page comparing the runs in `runDirs` (held-out accuracy against steps, minutes and tasks seen) to
 * `file` and returns its absolute path; throws ReportError when a directory holds no run.
 */
export async function writeComparison(runDirs: readonly string[], file: string): Promise<string> {
  const runs = await Promise.all(runDirs.map((dir) => loadRun(dir)));
  const path = resolve(file);
  await writePage(path, renderComparison(runs));
  return path;
}

/**
 * Writes one chart of the comparison of `runDirs` (`heldout-<mode>-<axis>`, e.g. `heldout-ema.deduction-tasks`) to
 * `file` as a standalone SVG and returns its absolute path; throws ReportError when a directory holds no run or
 * the runs have no such chart.
 */
export async function writeComparisonChart(
  runDirs: readonly string[],
  id: string,
  file: string,
): Promise<string> {
  const runs = await Promise.all(runDirs.map((dir) => loadRun(dir)));
  const path = resolve(file);
  await writePage(path, renderComparisonChart(runs, id));
  return path;
}

/** Written beside and renamed, so a browser showing the page never reads a half-written one. */
async function writePage(file: string, html: string): Promise<void> {
  const partial = `${file}.partial-${process.pid}`;
  await writeFile(partial, html);
  await rename(partial, file);
}
