import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import {
  PoolClosedError,
  PoolQueueFullError,
  PythonPool,
  SandboxUnavailableError,
  type ValidateRequest,
  validate,
} from '../src/executor/index.ts';
import { withPool } from './helpers/executor.ts';
import { DEFAULT_BANNED_MODULES } from '../src/executor/types.ts';

const policy = {
  banned: DEFAULT_BANNED_MODULES,
  helpers: true,
  maxOutputChars: 400,
  expressions: 'python' as const,
  outputs: 'literal' as const,
};
const job = (code: string, input: string): ValidateRequest => ({
  op: 'validate',
  code,
  inputs: [input],
  policy,
});
const identity = job('def f(x):\n    return x', '1');

describe('PythonPool', () => {
  const pool = new PythonPool({ size: 2, limits: { timeoutMs: 1000 } });
  after(() => pool.close());

  test('runs jobs and keeps input order across workers', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => job('def f(x):\n    return x * 2', String(i)));
    const outcomes = await pool.runAll(requests);
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.ok ? outcome.value.outputs?.[0] : outcome.reason)),
      requests.map((_, i) => String(i * 2)),
    );
  });

  test('defaults to one worker per core', async () => {
    const { availableParallelism } = await import('node:os');
    const defaultPool = new PythonPool();
    try {
      assert.equal(defaultPool.size, availableParallelism());
    } finally {
      await defaultPool.close();
    }
  });

  test('a job past its deadline ends as timeout, its worker is replaced, the rest still run', async () => {
    const exits: string[] = [];
    const onExit = (info: { cause: string }) => exits.push(info.cause);
    pool.on('workerExit', onExit);
    const requests = [
      job('def f(x):\n    while True:\n        pass', '0'),
      ...Array.from({ length: 6 }, () => identity),
    ];
    const outcomes = await Promise.all(requests.map((request) => pool.run(request, { timeoutMs: 300 })));
    pool.off('workerExit', onExit);
    assert.equal(outcomes[0].ok, false);
    assert.equal(!outcomes[0].ok && outcomes[0].kind, 'timeout');
    assert.ok(!outcomes[0].ok && outcomes[0].durationMs >= 300);
    assert.ok(outcomes.slice(1).every((outcome) => outcome.ok && outcome.value.valid));
    assert.deepEqual(exits, ['timeout']);
    const after = await pool.run(identity);
    assert.ok(after.ok && after.value.valid);
  });

  test('PYTHONHASHSEED is fixed: every worker hashes strings alike', async () => {
    const outcomes = await pool.runAll(
      Array.from({ length: 8 }, () => job('def f(x):\n    return hash(x)', "'azr'")),
    );
    const hashes = new Set(outcomes.map((outcome) => outcome.ok && outcome.value.outputs?.[0]));
    assert.equal(hashes.size, 1);
  });
});

describe('PythonPool worker replacement', () => {
  test('a worker killed with kill -9 is replaced and the next job succeeds', async () => {
    await withPool(async (pool) => {
      assert.ok((await pool.run(identity)).ok);
      const [victim] = pool.workerPids;
      const exited = once(pool, 'workerExit');
      const replaced = once(pool, 'workerReady');
      process.kill(victim, 'SIGKILL');
      const [info] = await exited;
      assert.equal(info.signal, 'SIGKILL');
      assert.equal(info.cause, 'died');
      await replaced;
      assert.notEqual(pool.workerPids[0], victim);
      const outcome = await pool.run(identity);
      assert.ok(outcome.ok && outcome.value.valid);
    });
  });

  test('a job whose worker is killed from outside while running it is run again: its true verdict, one retry counted', async () => {
    await withPool(async (pool) => {
      const [victim] = pool.workerPids;
      const slow = job(
        'def f(x):\n    s = 0\n    for i in range(10 ** 7):\n        s += i\n    return x',
        '5',
      );
      const running = pool.run(slow, { timeoutMs: 60_000 });
      const queued = pool.run(identity);
      const retried = once(pool, 'jobRetried');
      // The job is written to the worker synchronously; its answer cannot be read before the kill.
      process.kill(victim, 'SIGKILL');
      const [info] = await retried;
      assert.deepEqual(info, { pid: victim, attempt: 1, reason: 'worker died (signal SIGKILL)' });
      const outcome = await running;
      assert.ok(outcome.ok && outcome.value.valid, 'the verdict of a run to the end');
      assert.deepEqual(outcome.ok && outcome.value.outputs, ['5']);
      assert.equal(pool.infraRetries, 1);
      const next = await queued;
      assert.ok(next.ok && next.value.valid, 'the job queued behind it runs on the replacement');
    });
  });

  test('a program that kills its worker every time ends as crashed after the bounded retries', async () => {
    await withPool(
      async (pool) => {
        // The os module reached without an import (as in executor-hostile.test.ts): os._exit ends the worker.
        const os =
          "[c for c in ().__class__.__mro__[1].__subclasses__() if c.__name__ == '_wrap_close'][0].__init__.__globals__";
        const outcome = await pool.run(job(`def f(x):\n    ${os}['_exit'](0)`, '0'));
        assert.equal(!outcome.ok && outcome.kind, 'crashed');
        assert.match(!outcome.ok ? outcome.reason : '', /on 2 workers in a row/);
        assert.equal(pool.infraRetries, 1);
      },
      { maxInfraRetries: 1 },
    );
  });
});

describe('PythonPool backpressure and close', () => {
  test('maxQueue: run rejects when full, needsDrain and drain tell when there is room', async () => {
    await withPool(
      async (pool) => {
        const accepted = [pool.run(identity), pool.run(identity), pool.run(identity), pool.run(identity)];
        // One job went to the worker, three wait: the queue is at its limit.
        assert.equal(pool.inFlight, 1);
        assert.equal(pool.queueSize, 3);
        assert.equal(pool.needsDrain, true);
        await assert.rejects(pool.run(identity), PoolQueueFullError);
        const drained = once(pool, 'drain');
        const waiting = pool.runWhenRoom(identity);
        await drained;
        assert.equal(pool.needsDrain, false);
        const outcomes = await Promise.all([...accepted, waiting]);
        assert.ok(outcomes.every((outcome) => outcome.ok && outcome.value.valid));
      },
      { maxQueue: 3, pipelineDepth: 1 },
    );
  });

  test('close kills the workers and rejects queued jobs; later runs reject', async () => {
    const pool = new PythonPool({ size: 1, pipelineDepth: 1 });
    const running = assert.rejects(
      pool.run(job('def f(x):\n    while True:\n        pass', '0')),
      PoolClosedError,
    );
    const queued = assert.rejects(pool.run(identity), PoolClosedError);
    await pool.close();
    await running;
    await queued;
    await assert.rejects(pool.run(identity), PoolClosedError);
    assert.deepEqual(pool.workerPids, []);
  });
});

describe('sandbox availability', () => {
  test('refuses to start when bubblewrap is missing, unless sandbox is "none"', async () => {
    assert.throws(
      () => new PythonPool({ size: 1, bwrapPath: '/nonexistent/bwrap' }),
      SandboxUnavailableError,
    );
    const unsandboxed = new PythonPool({ size: 1, sandbox: 'none', bwrapPath: '/nonexistent/bwrap' });
    try {
      const [result] = await validate(unsandboxed, [{ code: 'def f(x):\n    return x + 1', input: '41' }]);
      assert.equal(result.output, '42');
    } finally {
      await unsandboxed.close();
    }
  });
});
