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
