// Checks on a proposal's shape that need no interpreter, shared by every executor.
import type { ProposalVerdict } from './api.ts';

/** A proposal as any executor receives it (its lists may be read-only). */
type ReceivedProposal =
  | { code: string; input: string }
  | { code: string; inputs: readonly string[]; message: string };

export function invalidProposal(errorType: string, reason: string, durationMs = 0): ProposalVerdict {
  return { valid: false, output: null, outputs: null, reason, errorType, durationMs };
}

/** A proposal whose fields have the wrong types, or an induction proposal with the wrong input count or no message. */
export function proposalShapeProblem(
  proposal: ReceivedProposal,
  inductionInputs: number,
): ProposalVerdict | null {
  if (typeof proposal?.code !== 'string')
    return invalidProposal('MalformedProposal', 'code must be a string');
  if (!('inputs' in proposal)) {
    return typeof proposal.input === 'string'
      ? null
      : invalidProposal('MalformedProposal', 'input must be a string');
  }
  const { inputs, message } = proposal;
  if (!Array.isArray(inputs) || !inputs.every((input) => typeof input === 'string')) {
    return invalidProposal('MalformedProposal', 'inputs must be a list of strings');
  }
  if (inputs.length !== inductionInputs) {
    return invalidProposal(
      'WrongInputCount',
      `induction needs exactly ${inductionInputs} inputs, got ${inputs.length}`,
    );
  }
  if (typeof message !== 'string' || message.trim() === '') {
    return invalidProposal('MissingMessage', 'induction proposal has no message');
  }
  return null;
}

/** What a sandbox answers for one proposal: every output, whatever the proposal's kind. */
export interface SandboxValidation {
  valid: boolean;
  outputs: string[] | null;
  reason: string | null;
  errorType: string | null;
  durationMs: number;
}

/** The verdict on a proposal from its sandbox's answer: one output, or (induction) all of them. */
export function proposalVerdict(response: SandboxValidation, induction: boolean): ProposalVerdict {
  const outputs = response.valid ? response.outputs : null;
  return {
    valid: response.valid,
    output: !induction && outputs ? (outputs[0] ?? null) : null,
    outputs: induction ? outputs : null,
    reason: response.reason,
    errorType: response.errorType,
    durationMs: response.durationMs,
  };
}
