// Actor kinds by name: what `kind:` in a topology may say.
import type { ActorDefinition } from '../runtime/index.ts';
import { AzrError } from '../errors.ts';

export class ActorKinds {
  private readonly kinds = new Map<string, ActorDefinition>();

  register(definition: ActorDefinition): this {
    const existing = this.kinds.get(definition.kind);
    if (existing && existing !== definition)
      throw new AzrError('ACTOR_NAME_TAKEN', `actor kind "${definition.kind}" is registered twice`);
    this.kinds.set(definition.kind, definition);
    return this;
  }

  /** Registers every actor definition a module exports. */
  registerModule(exports: Record<string, unknown>): this {
    for (const value of Object.values(exports)) if (isActorDefinition(value)) this.register(value);
    return this;
  }

  get(kind: string): ActorDefinition | undefined {
    return this.kinds.get(kind);
  }

  names(): string[] {
    return [...this.kinds.keys()].sort();
  }
}

export function isActorDefinition(value: unknown): value is ActorDefinition {
  const candidate = value as ActorDefinition | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.kind === 'string' &&
    typeof candidate.init === 'function' &&
    typeof candidate.handlers === 'object'
  );
}
