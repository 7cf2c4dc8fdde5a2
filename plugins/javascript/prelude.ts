// The trusted script every QuickJS context runs before the program. It captures the intrinsics it needs (so a
// program that replaces JSON, Object, Array.prototype… cannot fool it), takes away the clock and the random
// generator, and evaluates to the driver function the worker calls:
//   driver('call', argsJson, maxChars) → 'O' + canonical output | 'E' + errorType + '\n' + message
//   driver('describe', thrownValue)     → 'E' + errorType + '\n' + message
// Canonical output: JSON with object keys sorted (the same text as literal.ts's `canonical`).
export const PRELUDE = String.raw`(() => {
  'use strict';
  const G = globalThis;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const ownKeys = Reflect.ownKeys;
  const getProto = Object.getPrototypeOf;
  const describeProp = Object.getOwnPropertyDescriptor;
  const defineProp = Object.defineProperty;
  const hasOwn = Object.hasOwn;
  const isArray = Array.isArray;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const sort = Array.prototype.sort;
  const isFinite = Number.isFinite;
  const SetC = Set;
  const setHas = Set.prototype.has;
  const setAdd = Set.prototype.add;
  const setDelete = Set.prototype.delete;
  const ObjectProto = Object.prototype;
  const ArrayProto = Array.prototype;
  const ErrorProto = Error.prototype;
  const RealDate = Date;
  let touched = '';

  // Determinism: a program that asks for randomness or the time is not a valid task.
  const refuse = (what) =>
    function () {
      if (!touched) touched = what;
      throw new TypeError(what + ' is not available: programs must be deterministic');
    };
  defineProp(Math, 'random', { value: refuse('Math.random'), writable: true, configurable: true });
  const now = refuse('Date.now');
  const noArgs = refuse('Date() without arguments');
  const SafeDate = function Date(...args) {
    if (new.target === undefined || args.length === 0) return noArgs();
    return construct(RealDate, args, new.target);
  };
  defineProp(SafeDate, 'prototype', { value: RealDate.prototype });
  defineProp(SafeDate, 'length', { value: 7 });
  SafeDate.UTC = RealDate.UTC;
  SafeDate.parse = RealDate.parse;
  SafeDate.now = now;
  defineProp(RealDate.prototype, 'constructor', { value: SafeDate, writable: true, configurable: true });
  defineProp(G, 'Date', { value: SafeDate, writable: true, configurable: true });

  const FAIL = {};
  let failType = '';
  let failMessage = '';
  const fail = (type, message) => {
    failType = type;
    failMessage = message;
    throw FAIL;
  };
  const kind = (v) => {
    if (typeof v !== 'object') return typeof v;
    const proto = getProto(v);
    if (proto === null) return 'object';
    const ctor = describeProp(proto, 'constructor');
    const name = ctor && hasOwn(ctor, 'value') && typeof ctor.value === 'function' ? describeProp(ctor.value, 'name') : undefined;
    return name && typeof name.value === 'string' && name.value ? 'a ' + name.value : 'an object';
  };

  function serialize(v, depth, seen, budget) {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        if (!isFinite(v)) fail('NotPlainData', 'output contains the non-finite number ' + (v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'));
        return v === 0 ? '0' : stringify(v);
      case 'string':
        if (v.length > budget) fail('OutputTooLong', 'output is longer than ' + budget + ' chars');
        return stringify(v);
      case 'object':
        break;
      default:
        fail('NotPlainData', 'output contains ' + (typeof v === 'undefined' ? 'undefined' : 'a ' + typeof v) + ', which is not plain data');
    }
    if (depth > 64) fail('NotPlainData', 'output is nested deeper than 64');
    if (apply(setHas, seen, [v])) fail('NotPlainData', 'output is cyclic');
    apply(setAdd, seen, [v]);
    let out;
    if (isArray(v)) {
      if (getProto(v) !== ArrayProto) fail('NotPlainData', 'output contains an array with a changed prototype');
      const length = describeProp(v, 'length').value;
      if (length * 2 - 1 > budget) fail('OutputTooLong', 'output is longer than ' + budget + ' chars');
      out = '[';
      for (let i = 0; i < length; i++) {
        const d = describeProp(v, '' + i);
        if (d === undefined) fail('NotPlainData', 'output contains a sparse array');
        if (!hasOwn(d, 'value')) fail('NotPlainData', 'output contains an array with a getter');
        out += (i ? ',' : '') + serialize(d.value, depth + 1, seen, budget);
        if (out.length > budget) fail('OutputTooLong', 'output is longer than ' + budget + ' chars');
      }
      out += ']';
    } else {
      const proto = getProto(v);
      if (proto !== ObjectProto && proto !== null) fail('NotPlainData', 'output contains ' + kind(v) + ', which is not plain data');
      const keys = ownKeys(v);
      if (keys.length * 6 - 1 > budget) fail('OutputTooLong', 'output is longer than ' + budget + ' chars');
      for (let i = 0; i < keys.length; i++) {
        if (typeof keys[i] !== 'string') fail('NotPlainData', 'output contains an object with a symbol key');
        if (keys[i] === '__proto__') fail('NotPlainData', 'output contains an object with a "__proto__" key');
      }
      apply(sort, keys, []);
      out = '{';
      for (let i = 0; i < keys.length; i++) {
        const d = describeProp(v, keys[i]);
        if (d === undefined) fail('NotPlainData', 'output changed while it was read');
        if (!hasOwn(d, 'value')) fail('NotPlainData', 'output contains an object with a getter');
        if (!d.enumerable) fail('NotPlainData', 'output contains a non-enumerable property');
        out += (i ? ',' : '') + stringify(keys[i]) + ':' + serialize(d.value, depth + 1, seen, budget);
        if (out.length > budget) fail('OutputTooLong', 'output is longer than ' + budget + ' chars');
      }
      out += '}';
    }
    apply(setDelete, seen, [v]);
    return out;
  }

  function isError(v) {
    for (let p = v, n = 0; p !== null && n < 1000; p = getProto(p), n++) if (p === ErrorProto) return true;
    return false;
  }
  function text(v) {
    return typeof v === 'string' ? (v.length > 300 ? v.slice(0, 297) + '...' : v) : '';
  }
  function describe(e) {
    if (e === FAIL) return 'E' + failType + '\n' + failMessage;
    if (touched) return 'ENondeterministic\n' + touched + ' is not available: programs must be deterministic';
    try {
      if ((typeof e === 'object' && e !== null) || typeof e === 'function') {
        if (isError(e)) {
          const name = text(e.name) || 'Error';
          return 'E' + name + '\n' + name + ': ' + text(e.message);
        }
        return 'EThrownValue\nthrew ' + kind(e) + ', not an Error';
      }
      const shown = typeof e === 'string' ? stringify(text(e)) : typeof e === 'symbol' || typeof e === 'bigint' ? 'a ' + typeof e : '' + e;
      return 'EThrownValue\nthrew ' + shown + ', not an Error';
    } catch (inner) {
      return 'EThrownValue\nthrew a value that could not be described';
    }
  }

  return function driver(op, a, b) {
    if (op === 'describe') return describe(a);
    if (touched) return describe(undefined);
    if (typeof f !== 'function') return 'EMissingFunction\nprogram does not define a function f';
    try {
      const result = apply(f, undefined, parse(a));
      if (touched) return describe(undefined);
      return 'O' + serialize(result, 0, new SetC(), b);
    } catch (e) {
      return describe(e);
    }
  };
})()`;
