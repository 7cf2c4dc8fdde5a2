// Message schemas shared by several actors.
import { Type } from '@sinclair/typebox';

export const TaskSchema = Type.Object({
  id: Type.String(),
  mode: Type.String(),
  code: Type.String(),
  input: Type.String(),
  output: Type.String(),
  inputs: Type.Optional(Type.Array(Type.String())),
  outputs: Type.Optional(Type.Array(Type.String())),
  message: Type.Optional(Type.String()),
  step: Type.Integer({ minimum: 0 }),
});

/** Plugin faults by plugin part: how many, and the first one's message (see src/plugins/faults.ts). */
export const FaultsSchema = Type.Record(
  Type.String(),
  Type.Object({ count: Type.Integer({ minimum: 1 }), first: Type.String() }),
);
