import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { configError, type ConfigIssue } from './issues';
import { interpolateDocument, type Env } from './interpolate';

export interface YamlSource {
  /**
   * Plain data without `null` map entries, so `key:` and `key: ${UNSET:-}` read as absent, and without the
   * `x-` keys of the top level and of `multi_cloud`, which hold YAML anchors for reuse (as in docker-compose).
   */
  readonly value: unknown;
  /** Interpolation failures; their scalars keep the unresolved text. */
  readonly issues: readonly ConfigIssue[];
}

/**
 * Parses one YAML document and interpolates `${VAR}` references. Syntax errors are thrown together, each as
 * `<source>:<line>:<column>: <reason>`, without yaml's source excerpt (it could show a secret).
 */
export function readYaml(text: string, env: Env, source: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) throw configError(source, syntaxLines(text, doc.errors, lineCounter, source));
  const issues = interpolateDocument(doc, env);
  // An empty file is an empty mapping, so it reports what is missing from it.
  const value = withoutNullEntries(toPlainData(doc, source) ?? {});
  return { value: withoutExtensionKeys(value, 'multi_cloud'), issues };
}

const MAX_SYNTAX_ERRORS = 10;

/** The first error of each line: after one mistake, yaml reports every following token on that line too. */
function syntaxLines(text: string, errors: readonly YAMLError[], lineCounter: LineCounter, source: string): string[] {
  const byLine = new Map<number, string>();
  for (const error of errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const hint = lineText(text, lineCounter, line).includes('${') ? QUOTE_HINT : '';
    if (!byLine.has(line)) byLine.set(line, `${source}:${line}:${col}: ${describe(error)}${hint}`);
  }
  return [...byLine.values()].slice(0, MAX_SYNTAX_ERRORS);
}

// `{` is YAML syntax inside [ ] and { }, so an unquoted ${VAR} there breaks the line.
const QUOTE_HINT = ' (put values that use ${...} in quotes)';

function lineText(text: string, lineCounter: LineCounter, line: number): string {
  const start = lineCounter.lineStarts[line - 1] ?? text.length;
  const end = lineCounter.lineStarts[line] ?? text.length;
  return text.slice(start, end);
}

/** yaml's message, minus any quoted source text (it could be a secret) and advice meant for programmers. */
function describe(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS') return 'expected a single YAML document';
  return error.message.replace(/: ".*"$/s, '').replace(/^(Block scalar header includes extra characters): .*$/s, '$1');
}

function toPlainData(doc: Document, source: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // Aliases and merge keys are resolved here; yaml refuses alias bombs and merges of non-mappings.
    throw configError(source, [`${source}: ${err instanceof Error ? err.message : String(err)}`]);
  }
}

function withoutNullEntries(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullEntries);
  if (!isMapping(value)) return value;
  const entries = Object.entries(value).filter(([, entry]) => entry !== null && entry !== undefined);
  return Object.fromEntries(entries.map(([key, entry]) => [key, withoutNullEntries(entry)]));
}

/** Drops `x-` keys of `value` and of its child `nested`. */
function withoutExtensionKeys(value: unknown, nested?: string): unknown {
  if (!isMapping(value)) return value;
  const entries = Object.entries(value).filter(([key]) => !key.startsWith('x-'));
  return Object.fromEntries(entries.map(([key, entry]) => [key, key === nested ? withoutExtensionKeys(entry) : entry]));
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
