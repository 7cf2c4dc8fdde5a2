// Progress of `azr run`: one redrawn line on a terminal, one line per step otherwise; above it, once per step,
// the first message of each plugin part (or actor, node) that faulted.
const fmt = (value: unknown, digits = 2) => (typeof value === 'number' ? value.toFixed(digits) : '–');

function meanOf(metrics: Record<string, unknown>, suffix: string): number | undefined {
  const values = Object.entries(metrics)
    .filter(([key, v]) => key.endsWith(suffix) && typeof v === 'number')
    .map(([, v]) => v as number);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

/** One line per plugin part or actor that faulted in the step: how often, and its first message. */
export function faultLines(step: number, metrics: Record<string, unknown>): string[] {
  const prefix = 'faultMessage.';
  return Object.entries(metrics)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, first]) => {
      const part = key.slice(prefix.length);
      const count = metrics[`faults.${part}`];
      const kind = /^(actor|node):/.test(part) ? 'runtime fault' : 'plugin fault';
      return `step ${step}: ${kind} in ${part}${typeof count === 'number' ? ` (${count}×)` : ''}: ${String(first)}`;
    });
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly started = Date.now();
  private drawn = false;

  /** `deadline` (epoch ms): a wall-time budget that may end the run before `totalSteps`. */
  constructor(
    private readonly startStep: number,
    private readonly totalSteps: number,
    private readonly deadline?: number,
  ) {}

  step(step: number, metrics: Record<string, unknown>): void {
    for (const line of faultLines(step, metrics)) this.note(line);
    const done = step - this.startStep;
    const now = Date.now();
    const elapsed = now - this.started;
    const bySteps = done > 0 ? ((this.totalSteps - step) * elapsed) / done : 0;
    const eta = this.deadline === undefined ? bySteps : Math.max(0, Math.min(bySteps, this.deadline - now));
    const fraction = Math.max(step / Math.max(1, this.totalSteps), elapsed / Math.max(1, elapsed + eta));
    const width = 20;
    const filled = Math.round(width * Math.min(1, fraction));
    const line =
      `step ${step}/${this.totalSteps} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ` +
      `valid ${fmt(meanOf(metrics, '.validRate'))}  solve ${fmt(meanOf(metrics, '.solveRate'))}  ` +
      `R prop ${fmt(meanOf(metrics, '.proposerReward'))}  R solve ${fmt(meanOf(metrics, '.solverReward'))}  ` +
      `loss ${fmt(metrics['learner.loss'], 3)}  ${duration(Number(metrics['time.wallMs'] ?? 0))}/step  ETA ${duration(eta)}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      process.stderr.write(`${line}\n`);
    }
  }

  note(text: string): void {
    if (this.drawn) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${text}\n`);
    this.drawn = false;
  }

  done(): void {
    if (this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}
