// Generates the shipped JSON Schema and the config reference (README) from the TypeBox schema, so the
// documentation cannot drift from what the loader checks. `npm run schema` writes both.
import { TopologySchema } from './schema.ts';

interface SchemaNode {
  type?: string;
  enum?: string[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
}

export function topologySchemaJson(): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...JSON.parse(JSON.stringify(TopologySchema)),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (node.type === 'array') return `array of ${node.items ? typeOf(node.items) : 'any'}`;
  const range =
    node.minimum !== undefined || node.maximum !== undefined
      ? ` (${node.minimum ?? ''}…${node.maximum ?? ''})`
      : '';
  return `${node.type ?? 'any'}${range}`;
}

function rows(node: SchemaNode, path: string, out: string[], skip: readonly string[] = []): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (key === '$schema' || skip.includes(key)) continue;
    const here = path ? `${path}.${key}` : key;
    const required = node.required?.includes(key) && child.default === undefined ? 'yes' : '';
    const def = child.default === undefined ? '' : `\`${JSON.stringify(child.default)}\``;
    out.push(`| \`${here}\` | ${typeOf(child)} | ${required} | ${def} | ${child.description ?? ''} |`);
    if (child.properties) rows(child, here, out);
    if (child.items?.properties) rows(child.items, `${here}[]`, out);
  }
}

/** A markdown table of an object schema's keys (nested ones by dotted path); `skip` leaves top-level keys out. */
export function optionsReference(schema: unknown, skip: readonly string[] = []): string {
  const out = ['| key | type | required | default | meaning |', '|---|---|---|---|---|'];
  rows(JSON.parse(JSON.stringify(schema)) as SchemaNode, '', out, skip);
  return out.join('\n');
}

export const configReference = (): string => optionsReference(TopologySchema);
