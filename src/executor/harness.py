"""AZR executor worker harness.

Runs inside bubblewrap (see sandbox.ts). Speaks length-prefixed JSON frames with the TypeScript pool:
4-byte big-endian length, then a UTF-8 JSON object. Requests arrive on the fd that was stdin at start,
responses leave on the fd that was stdout at start; before any user code runs, fds 0/1/2 are pointed at
/dev/null so user code's own reads and writes can never touch the protocol.

Jobs are processed one at a time, in arrival order, one response per job. The pool relies on that order
to know which job is running (and to enforce its wall-clock deadline).
"""

import ast
import builtins
import json
import os
import resource
import signal
import sys
import time

import _thread
from types import CodeType

MAX_REASON_CHARS = 300
MAX_FRAME_BYTES = 64 * 1024 * 1024
CO_NEWLOCALS = 0x0002  # inspect.CO_NEWLOCALS, without importing inspect
PROGRAM_MODULE_NAME = 'azr_program'

# Modules user code may not import at run time even through tricks that dodge the AST check
# (e.g. getattr(__builtins__, '__imp' + 'ort__')('o' + 's')): they reach the process, the interpreter's
# shared state or the harness itself. The sandbox contains them anyway; this keeps jobs from
# interfering with later jobs in the same worker.
PROCESS_MODULES = frozenset(
    {
        '_ctypes', '_io', '_posixsubprocess', '_signal', '_socket', '_thread', 'atexit', 'builtins',
        'ctypes', 'faulthandler', 'fcntl', 'gc', 'importlib', 'inspect', 'mmap', 'multiprocessing', 'os',
        'posix', 'pty', 'resource', 'select', 'signal', 'socket', 'subprocess', 'sys', 'threading',
    }
)
FORBIDDEN_NAMES = frozenset({'__import__', 'importlib'})

_real_import = builtins.__import__
_getpid = os.getpid
_exit = os._exit
_kill = os.kill
HARNESS_PID = os.getpid()
_repr = repr
_literal_eval = ast.literal_eval
_perf_counter = time.perf_counter


class JobError(Exception):
    """A job-level failure with a reason and an error type (never a harness bug)."""

    def __init__(self, error_type, reason):
        super().__init__(reason)
        self.error_type = error_type
        self.reason = reason


def clip(text, limit=MAX_REASON_CHARS):
    return text if len(text) <= limit else text[: limit - 3] + '...'


def describe_exception(exc):
    try:
        name = type(exc).__name__
        if not isinstance(name, str):
            name = 'Exception'
    except BaseException:
        name = 'Exception'
    try:
        message = str(exc)
        if not isinstance(message, str):
            message = ''
    except BaseException:
        message = ''
    return clip(name, 80), clip(name + (': ' + message if message else ''))


# ---------------------------------------------------------------- program checks


_banned_cache = {}


def banned_components(banned):
    key = tuple(banned)
    found = _banned_cache.get(key)
    if found is None:
        found = frozenset(part for entry in banned for part in entry.split('.') if part)
        if len(_banned_cache) > 64:
            _banned_cache.clear()
        _banned_cache[key] = found
    return found


def imported_names(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    module = node.module or ''
    return [module] + [(module + '.' if module else '') + alias.name for alias in node.names]


def find_banned_use(tree, components):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in imported_names(node):
                for part in name.split('.'):
                    if part in components:
                        return 'banned import: ' + name
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            return 'banned name: ' + node.id
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            return 'banned attribute: ' + node.attr
    return None


def defines_function_f(compiled):
    """True when the module defines a function named f at module level (a function code object named f
    among the module's constants; a class named f has a class body code object without CO_NEWLOCALS)."""
    for constant in compiled.co_consts:
        if type(constant) is CodeType and constant.co_name == 'f' and constant.co_flags & CO_NEWLOCALS:
            return True
    return False


def prepare_program(code, policy):
    """Compile and check a program; raise JobError when it is not an acceptable AZR program.

    Compiling the source directly is about twice as fast as ast.parse + compile(tree), so the AST is
    built only when a check needs it: banned imports (only possible when the text contains 'import':
    import, from ... import, __import__, importlib) and allowHelpers false.
    """
    if not isinstance(code, str):
        raise JobError('MalformedProgram', 'program is not a string')
    try:
        compiled = compile(code, '<program>', 'exec')
    except SyntaxError as exc:
        raise JobError('SyntaxError', clip('SyntaxError: %s (line %s)' % (exc.msg, exc.lineno)))
    except (ValueError, RecursionError, MemoryError) as exc:
        raise JobError(*describe_exception(exc))
    if not defines_function_f(compiled):
        raise JobError('MissingFunction', 'program does not define a function f')
    helpers = policy.get('helpers', True)
    if helpers and 'import' not in code:
        return compiled
    try:
        tree = ast.parse(code, '<program>', 'exec')
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise JobError(*describe_exception(exc))
    if not helpers and sum(isinstance(node, ast.FunctionDef) for node in tree.body) > 1:
        raise JobError('HelperNotAllowed', 'program defines functions other than f')
    problem = find_banned_use(tree, banned_components(policy.get('banned', ())))
    if problem:
        raise JobError('BannedImport', problem)
    return compiled


# Names and attributes an input or answer expression may not use (docs/executor.md, "Expressions"): code that runs,
# reads files or reaches interpreter internals belongs in the program, where the program's checks see it.
EXPRESSION_BANNED_NAMES = frozenset(
    {
        '__builtins__', '__import__', 'breakpoint', 'compile', 'delattr', 'eval', 'exec', 'exit', 'getattr',
        'globals', 'help', 'importlib', 'input', 'locals', 'open', 'quit', 'setattr', 'vars',
    }
)
FRAME_ATTRIBUTES = frozenset(
    {
        'ag_code', 'ag_frame', 'co_code', 'cr_code', 'cr_frame', 'f_back', 'f_builtins', 'f_code', 'f_globals',
        'f_locals', 'gi_code', 'gi_frame', 'tb_frame', 'tb_next',
    }
)


def expression_problem(tree, components):
    """Why an input or answer expression may not run, or None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and (node.id in EXPRESSION_BANNED_NAMES or node.id in components):
            return 'banned name: ' + node.id
        if isinstance(node, ast.Attribute) and (node.attr.startswith('_') or node.attr in FRAME_ATTRIBUTES):
            return 'banned attribute: ' + node.attr
    return None


def uses_expressions(policy):
    return policy.get('expressions', 'python') != 'literals'


def parse_arguments(text, what, policy):
    """Parse the text of call arguments (e.g. "'a', [1, 2], k=3") into a function of the program's namespace that
    builds fresh (positional, keywords) each time it is called: Python expressions evaluated in that namespace, as
    the reference pastes them into f(...), or literals only with expressions 'literals' (docs/azr.md §3)."""
    if not isinstance(text, str):
        raise JobError('MalformedInput', what + ' is not a string')
    try:
        call = ast.parse('f(' + text + '\n)', '<input>', 'eval').body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise JobError('MalformedInput', clip(what + ' is not a valid argument list: ' + text))
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.func.id != 'f':
        raise JobError('MalformedInput', clip(what + ' is not a valid argument list: ' + text))
    names = []
    for keyword in call.keywords:
        if keyword.arg is None:
            raise JobError('MalformedInput', what + ' uses ** unpacking')
        if keyword.arg in names:
            raise JobError('MalformedInput', clip(what + ' repeats keyword argument ' + keyword.arg))
        names.append(keyword.arg)
    nodes = call.args + [keyword.value for keyword in call.keywords]
    for node in nodes:
        if isinstance(node, ast.Starred):
            raise JobError('MalformedInput', what + ' uses * unpacking')
    for node in nodes:
        try:
            _literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            if uses_expressions(policy):
                return compile_arguments(call, what, banned_components(policy.get('banned', ())))
            raise JobError('MalformedInput', clip(what + ' is not made of Python literals: ' + text))
    # Literal arguments (in either mode) are rebuilt by literal_eval on each run: nothing of the program's runs.
    positional, keywords = call.args, [(keyword.arg, keyword.value) for keyword in call.keywords]
    return lambda namespace: (
        [_literal_eval(node) for node in positional],
        {name: _literal_eval(node) for name, node in keywords},
    )


def compile_arguments(call, what, components):
    problem = expression_problem(call, components)
    if problem:
        raise JobError('BannedName', clip(what + ': ' + problem))
    # ([positional...], {'name': value, ...}): evaluated apart from the call, so f's own errors stay f's.
    keys = [ast.Constant(keyword.arg) for keyword in call.keywords]
    values = [keyword.value for keyword in call.keywords]
    pair = ast.Tuple([ast.List(call.args, ast.Load()), ast.Dict(keys, values)], ast.Load())
    try:
        code = compile(ast.fix_missing_locations(ast.Expression(pair)), '<input>', 'eval')
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise JobError('MalformedInput', clip(what + ': ' + describe_exception(exc)[1]))
    return lambda namespace: eval(code, namespace)


def parse_literal(text, what):
    if not isinstance(text, str):
        raise JobError('MalformedAnswer', what + ' is not a string')
    try:
        return _literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise JobError('MalformedAnswer', clip(what + ' is not a Python literal: ' + text))


def parse_output(text, what, policy):
    """A gold output's value: a literal, or with outputs 'repr' also a repr that evaluates back (docs/azr.md §3)."""
    try:
        return parse_literal(text, what)
    except JobError:
        if policy.get('outputs') != 'repr':
            raise
    value = evaluate_repr(text, banned_components(policy.get('banned', ())))
    if value is _NO_VALUE:
        reason = what + ' is not a Python literal or a repr that evaluates back: ' + text
        raise JobError('MalformedAnswer', clip(reason))
    return value


# ---------------------------------------------------------------- running user code


def make_guarded_import(blocked):
    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level != 0:
            raise ImportError('relative imports are not available')
        root = name.partition('.')[0]
        if root in blocked or root in PROCESS_MODULES:
            raise ImportError('import of ' + name + ' is not allowed')
        return _real_import(name, globals, locals, fromlist, level)

    return guarded_import


_job_builtins_template = dict(builtins.__dict__)
_job_builtins_template.pop('breakpoint', None)


def fresh_globals(blocked):
    job_builtins = dict(_job_builtins_template)
    job_builtins['__import__'] = make_guarded_import(blocked)
    return {'__name__': PROGRAM_MODULE_NAME, '__builtins__': job_builtins}


def call_f(compiled, arguments, blocked):
    """Run the program in fresh globals and call f with fresh arguments (parse_arguments), built in its namespace."""
    namespace = fresh_globals(blocked)
    try:
        exec(compiled, namespace)
        function = namespace.get('f')
        if not callable(function):
            raise JobError('MissingFunction', 'f is not callable after running the program')
        positional, keywords = arguments(namespace)
        return function(*positional, **keywords)
    except JobError:
        raise
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything, SystemExit included
        raise JobError(*describe_exception(exc))
    finally:
        namespace.clear()


def safe_repr(value):
    try:
        text = _repr(value)
        if not isinstance(text, str):
            raise TypeError('__repr__ returned a non-string')
        return text
    except BaseException as exc:  # noqa: BLE001
        raise JobError('UnreprableOutput', clip('repr of the result failed: ' + describe_exception(exc)[1]))


_PLAIN_ATOMS = (str, bytes, int, bool, type(None))
_PLAIN_CONTAINERS = (list, tuple, set)


def is_plain_literal(value, depth=0):
    """True when value is made only of exact builtin literal types, whose repr always round-trips
    through ast.literal_eval (floats only when finite). Anything else takes the slow, exact check."""
    kind = type(value)
    if kind in _PLAIN_ATOMS:
        return True
    if kind is float:
        return value - value == 0.0  # false for inf and nan
    if depth > 50:
        return False
    if kind in _PLAIN_CONTAINERS:
        for item in value:
            if not is_plain_literal(item, depth + 1):
                return False
        return True
    if kind is dict:
        for key, item in value.items():
            if not is_plain_literal(key, depth + 1) or not is_plain_literal(item, depth + 1):
                return False
        return True
    return False


_NO_VALUE = object()


def repr_names():
    """What a faithful repr that is not a literal may name (outputs 'repr'); nothing else, no builtins."""
    from collections import Counter, OrderedDict, defaultdict, deque

    names = {'Counter': Counter, 'OrderedDict': OrderedDict, 'defaultdict': defaultdict, 'deque': deque}
    names.update({'inf': float('inf'), 'Ellipsis': Ellipsis, 'frozenset': frozenset, 'range': range})
    names.update({'bytearray': bytearray, 'slice': slice})
    return names


_REPR_NAMES = repr_names()


def evaluate_repr(text, components):
    """The value a repr evaluates back to with only _REPR_NAMES in scope, or _NO_VALUE. The text may come from a
    user-defined __repr__, so it passes the expression checks first."""
    try:
        tree = ast.parse(text.strip(), '<output>', 'eval')
        if expression_problem(tree, components):
            return _NO_VALUE
        return eval(compile(tree, '<output>', 'eval'), {'__builtins__': {}, **_REPR_NAMES})
    except BaseException:  # noqa: BLE001
        return _NO_VALUE


def evaluates_back(value, text, components):
    back = evaluate_repr(text, components)
    try:
        return type(back) is type(value) and _repr(back) == text and bool(back == value)
    except BaseException:  # noqa: BLE001
        return False


def literal_repr(value, max_chars, text=None, policy=None):
    """repr(value) if it is a Python literal that round-trips through ast.literal_eval (or, with outputs 'repr', a
    repr that evaluates back to an equal value of the same type), else JobError."""
    if text is None:
        text = safe_repr(value)
    if max_chars is not None and len(text) > max_chars:
        raise JobError('OutputTooLong', 'output repr is %d chars (limit %d)' % (len(text), max_chars))
    if is_plain_literal(value):
        return text
    try:
        same = bool(_literal_eval(text) == value)
    except BaseException:  # noqa: BLE001
        same = False
    if not same and policy is not None and policy.get('outputs') == 'repr':
        same = evaluates_back(value, text, banned_components(policy.get('banned', ())))
    if not same:
        raise JobError('NotALiteral', clip('output is not a Python literal: ' + text))
    return text


def evaluate_answer(text, policy):
    """A deduction answer's value (docs/azr.md §1): a Python expression evaluated in fresh globals, or a literal
    with expressions 'literals'. A value the model's code built is compared only through its repr (literal_repr),
    so an object whose __eq__ always says yes cannot pass."""
    if not uses_expressions(policy):
        return parse_literal(text, 'answer')
    if not isinstance(text, str):
        raise JobError('MalformedAnswer', 'answer is not a string')
    try:
        return _literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        pass
    components = banned_components(policy.get('banned', ()))
    try:
        tree = ast.parse(text.strip(), '<answer>', 'eval')
        code = compile(tree, '<answer>', 'eval')
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise JobError('MalformedAnswer', clip('answer is not a Python expression: ' + text))
    problem = expression_problem(tree, components)
    if problem:
        raise JobError('MalformedAnswer', clip('answer: ' + problem))
    namespace = fresh_globals(components)
    if policy.get('outputs') == 'repr':
        namespace.update(_REPR_NAMES)
    try:
        value = eval(code, namespace)
    except BaseException as exc:  # noqa: BLE001 - the answer may raise anything
        raise JobError(*describe_exception(exc))
    finally:
        namespace.clear()
    return parse_output(literal_repr(value, None, None, policy), 'answer', policy)


def run_twice(compiled, arguments, blocked, max_chars, policy):
    """Determinism check: two runs in fresh globals must give results with the same repr."""
    first = call_f(compiled, arguments, blocked)
    first_text = safe_repr(first)
    second_text = safe_repr(call_f(compiled, arguments, blocked))
    if first_text != second_text:
        raise JobError('Nondeterministic', 'f gave different results on two runs with the same input')
    return literal_repr(first, max_chars, first_text, policy)


# ---------------------------------------------------------------- operations


def op_validate(job):
    policy = job.get('policy') or {}
    blocked = banned_components(policy.get('banned', ()))
    compiled = prepare_program(job.get('code'), policy)
    inputs = job.get('inputs')
    if not isinstance(inputs, list) or not inputs:
        raise JobError('MalformedInput', 'no inputs given')
    max_chars = policy.get('maxOutputChars', 400)
    outputs = []
    for index, text in enumerate(inputs):
        what = 'input' if len(inputs) == 1 else 'input %d' % (index + 1)
        arguments = parse_arguments(text, what, policy)
        try:
            outputs.append(run_twice(compiled, arguments, blocked, max_chars, policy))
        except JobError as exc:
            if len(inputs) > 1:
                exc.reason = clip(what + ': ' + exc.reason)
            raise
    return {'valid': True, 'outputs': outputs, 'reason': None, 'errorType': None}


def op_deduction(job):
    policy = job.get('policy') or {}
    gold = parse_output(job.get('gold'), 'gold output', policy)
    answer = evaluate_answer(job.get('answer'), policy)
    if answer == gold:
        return verdict(True, None)
    return verdict(False, clip('answer %s != expected %s' % (_repr(answer), job.get('gold'))))


def op_abduction(job):
    policy = job.get('policy') or {}
    blocked = banned_components(policy.get('banned', ()))
    gold = parse_output(job.get('gold'), 'gold output', policy)
    compiled = prepare_program(job.get('code'), policy)
    try:
        arguments = parse_arguments(job.get('answer'), 'answer', policy)
    except JobError as exc:
        if exc.error_type in ('MalformedInput', 'BannedName'):
            exc.error_type = 'MalformedAnswer'
        raise
    output = literal_repr(call_f(compiled, arguments, blocked), None, None, policy)
    if parse_output(output, 'output', policy) == gold:
        return verdict(True, None)
    return verdict(False, clip('f(answer) = %s, expected %s' % (output, job.get('gold'))))


def op_induction(job):
    policy = job.get('policy') or {}
    blocked = banned_components(policy.get('banned', ()))
    inputs, outputs = job.get('inputs'), job.get('outputs')
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise JobError('MalformedTask', 'inputs and outputs must be lists of equal length')
    golds = [parse_output(text, 'gold output', policy) for text in outputs]
    try:
        compiled = prepare_program(job.get('answer'), policy)
    except JobError as exc:
        exc.reason = 'candidate program: ' + exc.reason
        raise
    for index, text in enumerate(inputs):
        arguments = parse_arguments(text, 'input %d' % (index + 1), policy)
        try:
            output = literal_repr(call_f(compiled, arguments, blocked), None, None, policy)
        except JobError as exc:
            exc.reason = clip('input %d: %s' % (index + 1, exc.reason))
            raise
        if parse_output(output, 'output', policy) != golds[index]:
            reason = 'input %d: got %s, expected %s' % (index + 1, output, outputs[index])
            return verdict(False, clip(reason))
    return verdict(True, None)


def verdict(correct, reason):
    return {'correct': correct, 'malformed': False, 'reason': reason, 'errorType': None}


OPERATIONS = {
    'validate': op_validate,
    'deduction': op_deduction,
    'abduction': op_abduction,
    'induction': op_induction,
}


def failure(op, error):
    if op == 'validate':
        return {'valid': False, 'outputs': None, 'reason': error.reason, 'errorType': error.error_type}
    malformed = error.error_type in ('MalformedAnswer', 'MalformedInput') or (
        op == 'induction' and error.reason.startswith('candidate program')
    )
    return {'correct': False, 'malformed': malformed, 'reason': error.reason, 'errorType': error.error_type}


# ---------------------------------------------------------------- integrity between jobs


_snapshots = {'ast': dict(ast.__dict__), 'json': dict(json.__dict__)}


def other_processes_alive():
    """True when a job left processes behind. kill(-1, 0) signals nothing: it only asks whether any
    process other than the caller and the namespace's init exists. Only meaningful (and only called)
    in the sandbox's own PID namespace."""
    try:
        _kill(-1, 0)
        return True
    except OSError:
        return False


def interpreter_changed(in_sandbox):
    """Why later jobs in this worker could see what this job did, or None."""
    if builtins.__dict__ != _snapshots['builtins']:
        # Restore first: the harness itself looks names up in builtins to send the answer.
        builtins.__dict__.clear()
        builtins.__dict__.update(_snapshots['builtins'])
        return 'the program changed builtins'
    if ast.__dict__ != _snapshots['ast'] or json.__dict__ != _snapshots['json']:
        return 'the program changed a harness module'
    if globals() != _snapshots['harness']:
        return 'the program changed the harness'
    if _thread._count() != 0:
        return 'the program left threads running'
    if in_sandbox and other_processes_alive():
        return 'the program left processes running'
    return None


# ---------------------------------------------------------------- protocol and main loop


def write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def send(fd, message):
    body = json.dumps(message).encode('ascii')
    write_all(fd, len(body).to_bytes(4, 'big') + body)


def apply_limits(limits):
    def limit(kind, value):
        if value is not None and value >= 0:
            resource.setrlimit(kind, (value, value))

    limit(resource.RLIMIT_AS, limits.get('memoryBytes'))
    limit(resource.RLIMIT_FSIZE, limits.get('fileBytes'))
    limit(resource.RLIMIT_NOFILE, limits.get('openFiles'))
    limit(resource.RLIMIT_NPROC, limits.get('processes'))
    limit(resource.RLIMIT_CORE, 0)
    # A write over RLIMIT_FSIZE then fails with an OSError instead of killing the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def arm_cpu_limit(cpu_seconds):
    """RLIMIT_CPU counts the whole process: allow this job cpu_seconds more than used so far."""
    if cpu_seconds is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + int(cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def clean_private_tmp(state):
    """Empty /tmp between jobs so no job sees files of an earlier one.

    Only called in the sandbox ('inSandbox' in the config), where /tmp is bubblewrap's private tmpfs:
    without bubblewrap, /tmp is the host's.
    """
    try:
        mtime = os.stat('/tmp').st_mtime_ns
        if mtime == state.get('tmp'):
            return
        for entry in os.scandir('/tmp'):
            remove_tree(entry.path)
        state['tmp'] = os.stat('/tmp').st_mtime_ns
    except OSError:
        pass


def remove_tree(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            for entry in os.scandir(path):
                remove_tree(entry.path)
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


def point_std_fds_at(devnull):
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def handle(job, limits, state):
    op = job.get('op')
    started = _perf_counter()
    operation = OPERATIONS.get(op)
    if operation is None:
        result = {'error': 'unknown op %r' % (op,)}
    else:
        arm_cpu_limit(limits.get('cpuSeconds'))
        error = None
        try:
            result = operation(job)
        except BaseException as exc:  # noqa: BLE001 - a harness step may fail on hostile data
            error = exc
        if _getpid() != HARNESS_PID:
            _exit(0)  # a process forked by user code got here: only the harness answers
        # Checked (and builtins restored) before anything else runs, results included.
        changed = interpreter_changed(state['in_sandbox'])
        if changed is not None:
            result = failure(op, JobError('InterpreterModified', changed))
            result['retire'] = True
        elif isinstance(error, JobError):
            result = failure(op, error)
        elif error is not None:
            result = failure(op, JobError(*describe_exception(error)))
        error = None
    if state['in_sandbox']:
        clean_private_tmp(state)
    # User code may have closed or replaced fds 0-2 (e.g. open(0) closes fd 0 when collected).
    point_std_fds_at(limits['devnull'])
    result['id'] = job.get('id')
    result['durationMs'] = (_perf_counter() - started) * 1000.0
    return result


def complete_frame_at(pending, position):
    """End offset of the complete request frame starting at position, or None."""
    if len(pending) - position < 4:
        return None
    size = int.from_bytes(pending[position : position + 4], 'big')
    if size > MAX_FRAME_BYTES:
        raise ValueError('request frame too large')
    end = position + 4 + size
    return end if len(pending) >= end else None


def serve(request_fd, response_fd, limits):
    # Second guard besides the pool's word: in bubblewrap's PID namespace this process has a tiny pid.
    state = {'in_sandbox': limits.get('inSandbox') is True and os.getpid() < 16}
    pending = bytearray()
    while True:
        chunk = os.read(request_fd, 1 << 16)
        if not chunk:
            return
        pending += chunk
        position = 0
        end = complete_frame_at(pending, position)
        while end is not None:
            job = json.loads(pending[position + 4 : end])
            position = end
            result = handle(job, limits, state)
            # Each answer leaves at once, never batched: the pool times the next job from this answer,
            # and an answer held back while a later job hangs would be lost with the worker.
            send(response_fd, result)
            if result.get('retire'):
                return
            end = complete_frame_at(pending, position)
        del pending[:position]


def main():
    limits = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    request_fd = os.dup(0)
    response_fd = os.dup(1)
    diagnostics_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_RDWR)
    limits['devnull'] = devnull
    point_std_fds_at(devnull)
    try:
        apply_limits(limits)
        send(response_fd, {'ready': True, 'pid': os.getpid(), 'hashSeed': os.environ.get('PYTHONHASHSEED')})
        serve(request_fd, response_fd, limits)
    except BaseException as exc:  # noqa: BLE001
        try:
            write_all(diagnostics_fd, ('harness failed: %s\n' % (describe_exception(exc)[1],)).encode())
        except BaseException:  # noqa: BLE001
            pass
        os._exit(70)
    os._exit(0)


_snapshots['builtins'] = dict(builtins.__dict__)
_snapshots['harness'] = dict(globals())

if __name__ == '__main__':
    main()
