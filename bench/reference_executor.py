"""Baselines for `npm run bench -- executor`: unsandboxed Python process pools, driven over a pipe.

Mode `reference` (the headline baseline) follows the per-job mechanics of the AZR reference executor
(absolute_zero_reasoner/utils/code_utils/python_executor.py, written for this bench, not copied):
  - the driver checks banned imports on the AST in the main process, as its check_all does;
  - each job is a text snippet (the program, then f(input) twice with a determinism comparison) that a
    process-pool worker exec()s in a fresh namespace under a SIGALRM timeout (timeout_decorator does that),
    then checks str(result) and pickle.dumps(result) before sending the repr back;
  - one pool submission per job. The reference uses pebble's ProcessPool (not installed here); the
    standard library's ProcessPoolExecutor plays its part. Jobs are all submitted at once, which is more
    generous than the reference's one pool.map call per check.
Mode `same-checks` runs exactly our harness's validation (op_validate from src/executor/harness.py) in the
same kind of pool: our checks without sandbox, persistent framing or pipelining.

Protocol with bench/executor.ts: JSON lines on stdin ({"id", "code", "input"}); one JSON line per job on
stdout ({"id", "valid", "output"}) as soon as it completes, in completion order.
Usage: python3 reference_executor.py WORKERS [reference|same-checks]
"""

import ast
import json
import os
import pickle
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

sys.dont_write_bytecode = True  # no __pycache__ next to harness.py
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src', 'executor'))
import harness  # noqa: E402

BANNED = [
    'logging', 'random', 'multiprocessing', 'pebble', 'subprocess', 'threading', 'datetime', 'time',
    'hashlib', 'hmac', 'bcrypt', 'calendar', 'os.sys', 'os.path', 'sys.exit', 'os.environ',
]
POLICY = {'banned': BANNED, 'helpers': True, 'maxOutputChars': 400}
TIMEOUT_SECONDS = 10

SNIPPET = '{code}\n\n_azr_first = f({inputs})\nif _azr_first != f({inputs}):\n    raise Exception("non-deterministic")\n'


class Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise Timeout()


def reference_job(snippet):
    """Runs in a pool worker: exec the snippet in a fresh namespace under an alarm, check the result."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT_SECONDS)
    try:
        namespace = {}
        exec(snippet, namespace)
        result = namespace['_azr_first']
        str(result)
        pickle.dumps(result)
        return True, repr(result)
    except BaseException as error:  # noqa: BLE001
        return False, type(error).__name__
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def has_banned_import(code):
    """The reference's AST check: every component of import names against the banned list."""
    components = set(BANNED)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False  # left to the run, as the reference does
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(part in components for alias in node.names for part in alias.name.split('.')):
                return True
        elif isinstance(node, ast.ImportFrom):
            module = node.module.split('.') if node.module else []
            if any(part in components for part in module):
                return True
            if any(part in components for alias in node.names for part in alias.name.split('.')):
                return True
    return False


def same_checks_job(code, text):
    try:
        result = harness.op_validate({'code': code, 'inputs': [text], 'policy': POLICY})
        return True, result['outputs'][0]
    except harness.JobError as error:
        return False, error.reason
    except BaseException as error:  # noqa: BLE001
        return False, repr(error)


def main():
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
    mode = sys.argv[2] if len(sys.argv) > 2 else 'reference'
    write_lock = threading.Lock()
    out = sys.stdout

    def reply(job_id, valid, output):
        line = json.dumps({'id': job_id, 'valid': valid, 'output': output}) + '\n'
        with write_lock:
            out.write(line)
            out.flush()

    def reply_when_done(job_id, future):
        try:
            valid, output = future.result()
        except BaseException as error:  # noqa: BLE001 - a worker died
            valid, output = False, repr(error)
        reply(job_id, valid, output)

    with ProcessPoolExecutor(max_workers=workers) as pool:
        # Start the workers before the first job, as a long-lived executor would have them.
        list(pool.map(abs, range(workers * 4)))
        reply(None, True, 'ready')
        for line in sys.stdin:
            if not line.strip():
                continue
            job = json.loads(line)
            if mode == 'same-checks':
                future = pool.submit(same_checks_job, job['code'], job['input'])
            elif has_banned_import(job['code']):
                reply(job['id'], False, 'banned import')
                continue
            else:
                future = pool.submit(reference_job, SNIPPET.format(code=job['code'], inputs=job['input']))
            future.add_done_callback(lambda done, job_id=job['id']: reply_when_done(job_id, done))


if __name__ == '__main__':
    main()
