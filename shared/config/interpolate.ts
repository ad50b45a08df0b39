/**
 * `${VAR}` interpolation over the string scalars of a parsed YAML document.
 *
 * `${VAR}` is the variable (an unset variable is an error), `${VAR:-default}` falls back when the variable is
 * unset or empty, and `$${` stands for a literal `${`. Interpolation runs after YAML parsing, so a value can
 * never inject YAML structure. An unquoted scalar is then read as if its result had been written in place
 * (`ttl: ${TTL:-30}` is the number 30, `key: ${X:-}` is empty, i.e. absent); a quoted one stays a string.
 */
import { isMap, isScalar, isSeq, type Document, type Scalar } from 'yaml';
import type { ConfigIssue, ConfigPath } from './issues';

export type Env = Readonly<Record<string, string | undefined>>;

export type Interpolated = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string };

const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const MALFORMED = 'malformed variable reference: expected ${NAME} or ${NAME:-default}';

/** Interpolates one string. Reasons name the variable but never a value or a default. */
export function interpolate(text: string, env: Env): Interpolated {
  const pattern = /\$\$\{|\$\{/g;
  let output = '';
  let cursor = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    output += text.slice(cursor, match.index);
    cursor = pattern.lastIndex;
    if (match[0] === '$${') {
      output += '${';
      continue;
    }
    const end = text.indexOf('}', cursor);
    if (end < 0) return { ok: false, reason: 'unterminated variable reference: missing "}"' };
    const resolved = resolveReference(text.slice(cursor, end), env);
    if (!resolved.ok) return resolved;
    output += resolved.text;
    cursor = end + 1;
    pattern.lastIndex = cursor;
  }
  return { ok: true, text: output + text.slice(cursor) };
}

function resolveReference(body: string, env: Env): Interpolated {
  const match = REFERENCE_BODY.exec(body);
  const name = match?.[1];
  if (match === null || name === undefined || body.includes('${')) return { ok: false, reason: MALFORMED };
  const value = env[name];
  const fallback = match[2];
  if (fallback !== undefined) return { ok: true, text: value === undefined || value === '' ? fallback : value };
  if (value === undefined) return { ok: false, reason: `environment variable ${name} is not set` };
  return { ok: true, text: value };
}

/**
 * Interpolates every string scalar of `doc` in place (keys are left alone). Returns one issue per scalar
 * that could not be interpolated; those scalars keep their text.
 */
export function interpolateDocument(doc: Document, env: Env, root: ConfigPath = []): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  visitScalars(doc.contents, root, (scalar, path) => {
    const issue = interpolateScalar(scalar, path, env);
    if (issue !== undefined) issues.push(issue);
  });
  return issues;
}

function interpolateScalar(scalar: Scalar, path: ConfigPath, env: Env): ConfigIssue | undefined {
  if (typeof scalar.value !== 'string' || !scalar.value.includes('${')) return undefined;
  const result = interpolate(scalar.value, env);
  if (!result.ok) return { path, reason: result.reason };
  scalar.value = scalar.type === 'PLAIN' ? resolvePlainScalar(result.text) : result.text;
  return undefined;
}

// Aliases are skipped: they share the anchored node, which is interpolated where it is defined.
function visitScalars(node: unknown, path: ConfigPath, visit: (scalar: Scalar, path: ConfigPath) => void): void {
  if (isScalar(node)) visit(node, path);
  else if (isMap(node)) for (const pair of node.items) visitScalars(pair.value, [...path, keyText(pair.key)], visit);
  else if (isSeq(node)) node.items.forEach((item, index) => visitScalars(item, [...path, index], visit));
}

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : String(key));

/** The YAML 1.2 core-schema reading of an unquoted scalar: null, booleans, decimal numbers, else a string. */
export function resolvePlainScalar(text: string): string | number | boolean | null {
  if (/^(|~|null|Null|NULL)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}
