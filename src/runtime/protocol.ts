// A protocol names an actor's message types. Each type is written once as a TypeBox schema, which gives both
// the TypeScript type and the JSON Schema that ajv compiles to check messages on receipt.
import { type Static, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export interface MessageSpec {
  request: TObject;
  reply?: TSchema;
  /**
   * Changes state that every copy of the actor must share (new weights): where several copies serve one actor
   * (host `remote`), each copy applies it, including copies that start later, before it handles later work.
   */
  broadcast?: boolean;
}

export type ProtocolSpec = Record<string, MessageSpec>;

export type MessageOf<S extends ProtocolSpec, K extends keyof S> = { type: K } & Static<S[K]['request']>;
export type AnyMessage<S extends ProtocolSpec> = { [K in keyof S]: MessageOf<S, K> }[keyof S];
/** The reply type of every message type, computed once per protocol. */
export type Replies<S extends ProtocolSpec> = {
  [K in keyof S]: S[K] extends { reply: infer R extends TSchema } ? Static<R> : undefined;
};
export type ReplyOf<S extends ProtocolSpec, K extends keyof S> = Replies<S>[K];

export interface CheckProblem {
  pointer: string;
  problem: string;
}

export interface Protocol<S extends ProtocolSpec = ProtocolSpec> {
  readonly spec: S;
  readonly types: readonly string[];
  /** Checks a whole message (with its `type`); returns the first problem, or undefined when valid. */
  check(message: unknown): CheckProblem | undefined;
  checkReply(type: string, reply: unknown): CheckProblem | undefined;
}

export const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

/** One ajv error as a JSON pointer and a sentence that names what was expected. */
export function problemOf(error: ErrorObject): CheckProblem {
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      return { pointer: `${error.instancePath}/${key}`, problem: 'is not allowed here (unknown key)' };
    }
    case 'required': {
      const key = (error.params as { missingProperty: string }).missingProperty;
      return { pointer: `${error.instancePath}/${key}`, problem: 'is required' };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      return {
        pointer: error.instancePath,
        problem: `must be one of: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    }
    default:
      return { pointer: error.instancePath, problem: error.message ?? 'is invalid' };
  }
}

export function firstProblem(errors: ErrorObject[] | null | undefined): CheckProblem {
  const error = errors?.[0];
  return error ? problemOf(error) : { pointer: '', problem: 'is invalid' };
}

/**
 * An actor's message types, each with a TypeBox `request` schema and, for asks, a `reply` schema; every message is
 * checked against its schema when it arrives (a bad one is rejected with `MessageRejectedError`, never handled).
 * `broadcast: true` marks a message every new incarnation of the actor gets again (e.g. new weights).
 *
 * @example
 * const protocol = defineProtocol({
 *   add: { request: Type.Object({ n: Type.Number() }), reply: Type.Number() },
 *   reset: { request: Type.Object({}) },
 * });
 */
export function defineProtocol<S extends ProtocolSpec>(spec: S): Protocol<S> {
  const requests = new Map<string, ValidateFunction>();
  const replies = new Map<string, ValidateFunction>();
  for (const [type, { request, reply }] of Object.entries(spec)) {
    const whole = Type.Object(
      { type: Type.Literal(type), ...request.properties },
      { additionalProperties: request.additionalProperties ?? false },
    );
    requests.set(type, ajv.compile(whole));
    if (reply) replies.set(type, ajv.compile(reply));
  }
  const types = [...requests.keys()];
  return {
    spec,
    types,
    check(message) {
      if (typeof message !== 'object' || message === null || Array.isArray(message)) {
        return { pointer: '', problem: 'must be an object with a "type"' };
      }
      const type = (message as { type?: unknown }).type;
      const validate = typeof type === 'string' ? requests.get(type) : undefined;
      if (!validate) return { pointer: '/type', problem: `must be one of: ${types.join(', ')}` };
      return validate(message) ? undefined : firstProblem(validate.errors);
    },
    checkReply(type, reply) {
      const validate = replies.get(type);
      if (!validate || validate(reply)) return undefined;
      return firstProblem(validate.errors);
    },
  };
}
