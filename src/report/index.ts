// `report.html` for a run directory: learning curves as one self-contained page.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReport } from './html.ts';
import { loadRun } from './metrics.ts';

export { type RenderOptions, renderReport } from './html.ts';
export { loadRun, parseMetrics, parseSummary, ReportError, type RunData } from './metrics.ts';

/** Writes RUN_DIR/report.html and returns its path; throws ReportError when the directory holds no run. */
export async function writeReport(runDir: string): Promise<string> {
  const run = await loadRun(runDir);
  const file = join(run.runDir, 'report.html');
  // Written beside and renamed, so a browser showing the report never reads a half-written page.
  const partial = `${file}.partial-${process.pid}`;
  await writeFile(partial, renderReport(run));
  await rename(partial, file);
  return file;
}
