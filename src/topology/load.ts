// Loads a topology from JSON or YAML and reports every problem at once, each with its JSON pointer and,
// where the file has one, its line and column.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TObject } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { AzrError } from '../runtime/errors.ts';
import { loadPlugins, type Plugin, PluginError } from '../plugins/index.ts';
import { NATS_NAME } from '../runtime/nats-subjects.ts';
import { ajv, problemOf } from '../runtime/protocol.ts';
import { type Override, OverrideError, applyOverrides } from './overrides.ts';
import { ActorKinds } from './registry.ts';
import { type Topology, TopologySchema } from './schema.ts';

export interface ConfigIssue {
  pointer: string;
  message: string;
  line?: number;
  column?: number;
}

/** A topology that cannot be read or fails its schema: `issues` holds every problem with its JSON pointer and line. */
export class ConfigError extends AzrError {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      'CONFIG_INVALID',
      `${file}: ${issues.length} problem(s)\n${issues.map((i) => `  ${formatIssue(file, i)}`).join('\n')}`,
    );
  }
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line ? `${file}:${issue.line}:${issue.column}` : file;
  return `${where}: ${issue.pointer || '/'} ${issue.message}`;
}

export interface LoadedTopology {
  topology: Topology;
  file: string;
  kinds: ActorKinds;
}

const validateTopology = ajv.compile(TopologySchema);
const optionValidators = new WeakMap<object, ValidateFunction>();

export async function loadTopologyFile(
  file: string,
  options: Omit<LoadOptions, 'file'> = {},
): Promise<LoadedTopology> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ pointer: '', message: `cannot be read: ${(error as Error).message}` }]);
  }
  return parseTopology(text, { ...options, file });
}

export interface LoadOptions {
  file?: string;
  kinds?: ActorKinds;
  /** Plugins known by name (the built-ins). */
  plugins?: Record<string, Plugin<any>>;
  /** `--set PATH=VALUE` changes, applied to the document before it is checked. */
  overrides?: Override[];
}

export async function parseTopology(
  text: string,
  { file = '<topology>', kinds = new ActorKinds(), plugins = {}, overrides = [] }: LoadOptions = {},
): Promise<LoadedTopology> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    // Only the first: one misplaced indent makes the parser report several more errors after it.
    const [first] = doc.errors;
    const more = doc.errors.length - 1;
    throw new ConfigError(file, [
      {
        pointer: '',
        message: `is not valid YAML/JSON: ${first!.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}${more > 0 ? ` (and ${more} more error(s) after it, often caused by this one)` : ''}`,
        line: first!.linePos?.[0].line,
        column: first!.linePos?.[0].col,
      },
    ]);
  }
  let overridden: Map<string, Override>;
  try {
    overridden = applyOverrides(doc, overrides);
  } catch (error) {
    if (!(error instanceof OverrideError)) throw error;
    throw new ConfigError(file, [{ pointer: '', message: (error as Error).message }]);
  }
  const value: unknown = doc.toJS();
  const issues: ConfigIssue[] = [];
  if (!validateTopology(value)) {
    issues.push(...uniqueProblems(validateTopology.errors ?? []));
  } else {
    const topology = value as unknown as Topology;
    await importModules(topology, file, kinds, issues);
    checkActors(topology, file, kinds, issues);
    await checkPlugins(topology, file, plugins, issues);
  }
  if (issues.length > 0)
    throw new ConfigError(
      file,
      issues.map((issue) => {
        const override = [...overridden].find(([pointer]) =>
          `${issue.pointer}/`.startsWith(`${pointer}/`),
        )?.[1];
        return override
          ? { ...issue, message: `${issue.message} (set by --set ${override.text})` }
          : locate(issue, doc, lineCounter);
      }),
    );
  return { topology: value as unknown as Topology, file, kinds };
}

function uniqueProblems(errors: NonNullable<ValidateFunction['errors']>): ConfigIssue[] {
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  for (const error of errors) {
    const { pointer, problem } = problemOf(error);
    const key = `${pointer} ${problem}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push({ pointer, message: problem });
    }
  }
  return issues;
}

async function importModules(topology: Topology, file: string, kinds: ActorKinds, issues: ConfigIssue[]) {
  for (const [i, specifier] of (topology.modules ?? []).entries()) {
    const path = resolve(dirname(file), specifier);
    try {
      kinds.registerModule(await import(pathToFileURL(path).href));
    } catch (error) {
      issues.push({
        pointer: `/modules/${i}`,
        message: `cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
      });
    }
  }
}

function checkActors(topology: Topology, file: string, kinds: ActorKinds, issues: ConfigIssue[]) {
  const names = new Map<string, string>();
  for (const [i, entry] of topology.actors.entries()) {
    const at = `/actors/${i}`;
    const replicaNames =
      entry.count === 1 ? [entry.name] : Array.from({ length: entry.count }, (_, r) => `${entry.name}-${r}`);
    for (const name of replicaNames) {
      const other = names.get(name);
      if (other)
        issues.push({ pointer: `${at}/name`, message: `gives the name "${name}", already used at ${other}` });
      else names.set(name, `${at}/name`);
    }
    const definition = kinds.get(entry.kind);
    if (!definition) {
      const known = kinds.names();
      issues.push({
        pointer: `${at}/kind`,
        message: `unknown actor kind "${entry.kind}"; known kinds: ${known.length ? known.join(', ') : '(none registered)'}`,
      });
      continue;
    }
    if (entry.host === 'remote') checkRemote(topology, entry, definition, at, issues);
    else if (entry.host !== 'inline' && !definition.module) {
      issues.push({
        pointer: `${at}/host`,
        message: `actor kind "${entry.kind}" can only run inline: its definition has no \`module\``,
      });
    }
    if (definition.options) {
      let validate = optionValidators.get(definition.options);
      if (!validate) {
        validate = ajv.compile({
          ...definition.options,
          additionalProperties: definition.options.additionalProperties ?? false,
        });
        optionValidators.set(definition.options, validate);
      }
      entry.options = { ...inherited(topology, file, definition.options), ...entry.options };
      if (!validate(entry.options)) {
        for (const issue of uniqueProblems(validate.errors ?? [])) {
          issues.push({
            pointer: `${at}/options${issue.pointer}`,
            message: `${issue.message} (options of kind "${entry.kind}")`,
          });
        }
      } else if (entry.host !== 'remote') {
        for (const named of definition.files?.(entry.options) ?? []) {
          const path = resolve(dirname(file), named.path);
          const problem = !existsSync(path)
            ? `names ${path}, which does not exist (paths are relative to the topology file's folder)`
            : named.check?.(path);
          if (problem !== undefined)
            issues.push({ pointer: `${at}/options${named.pointer}`, message: problem });
        }
      }
    }
  }
}

const natsNameRule = 'letters, digits, "_" and "-" only (it names NATS subjects and streams)';

function checkRemote(
  topology: Topology,
  entry: Topology['actors'][number],
  definition: { kind: string; snapshot?: unknown },
  at: string,
  issues: ConfigIssue[],
) {
  if (!NATS_NAME.test(topology.name) && !issues.some((i) => i.pointer === '/name'))
    issues.push({ pointer: '/name', message: `must use ${natsNameRule} when actors run on host "remote"` });
  if (!NATS_NAME.test(entry.name))
    issues.push({ pointer: `${at}/name`, message: `must use ${natsNameRule} for host "remote"` });
  if (definition.snapshot)
    issues.push({
      pointer: `${at}/host`,
      message:
        `actor kind "${entry.kind}" keeps state in checkpoints (it has a snapshot hook); it cannot run on host ` +
        '"remote", where several copies may serve it',
    });
}

async function checkPlugins(
  topology: Topology,
  file: string,
  builtins: Record<string, Plugin<any>>,
  issues: ConfigIssue[],
) {
  for (const [i, use] of (topology.plugins ?? []).entries()) {
    try {
      await loadPlugins([use], { builtins, baseDir: dirname(file) });
    } catch (error) {
      if (!(error instanceof PluginError)) throw error;
      const pointer = error.pointer ? `/plugins/${i}/options${error.pointer}` : `/plugins/${i}/use`;
      issues.push({ pointer, message: error.message });
    }
  }
}

/**
 * Top-level sections an actor receives when its options schema names them and its entry does not set them; they
 * are filled in before the schema's defaults, so a default never hides the topology's own value.
 */
function inherited(topology: Topology, file: string, schema: TObject): Record<string, unknown> {
  const takes = (key: string) => schema.properties[key] !== undefined;
  return {
    ...(takes('plugins') && topology.plugins ? { plugins: topology.plugins } : {}),
    ...(takes('configDir') ? { configDir: resolve(dirname(file)) } : {}),
  };
}

/** Adds the line and column of the deepest node of the document that the pointer reaches. */
function locate(issue: ConfigIssue, doc: Document, lineCounter: LineCounter): ConfigIssue {
  const path = issue.pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const node = (depth === 0 ? doc.contents : doc.getIn(keys, true)) as
      | { range?: [number, number, number] }
      | undefined;
    if (node?.range) {
      const { line, col } = lineCounter.linePos(node.range[0]);
      return { ...issue, line, column: col };
    }
  }
  return issue;
}
