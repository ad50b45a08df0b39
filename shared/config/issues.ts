import { MeshgateError } from '../core/errors';

export type ConfigPath = readonly (string | number)[];

/** One problem found in a configuration; `reason` never contains a configured value that could be secret. */
export interface ConfigIssue {
  readonly path: ConfigPath;
  readonly reason: string;
  /**
   * Set on issues of rules that relate several fields: the fields the rule read. Such an issue is a
   * follow-up, not reported, when one of those fields is already reported as wrong.
   */
  readonly dependsOn?: readonly ConfigPath[];
}

const PLAIN_KEY = /^[A-Za-z0-9_/-]+$/;

/** `['multi_cloud', 'backends', 0, 'url']` -> `multi_cloud.backends[0].url`. */
export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text === '' ? '(root)' : text;
}

export const formatIssue = (issue: ConfigIssue): string => `${formatPath(issue.path)}: ${issue.reason}`;

/** Is `path` the same as `prefix` or inside it? */
export const isWithin = (path: ConfigPath, prefix: ConfigPath): boolean =>
  prefix.length <= path.length && prefix.every((segment, index) => path[index] === segment);

/**
 * Drops follow-ups: a field whose value could not be interpolated is reported once (not again by the
 * schema), and a cross-field rule is not reported over fields that are wrong on their own.
 */
export function withoutFollowUps(interpolation: readonly ConfigIssue[], schema: readonly ConfigIssue[]): ConfigIssue[] {
  const isReportedWithin = (reported: readonly ConfigIssue[], path: ConfigPath): boolean =>
    reported.some((issue) => isWithin(issue.path, path));
  const fieldIssues = schema.filter((issue) => issue.dependsOn === undefined);
  const primary = [...interpolation, ...fieldIssues.filter((issue) => !isReportedWithin(interpolation, issue.path))];
  const crossField = schema.filter((issue) => issue.dependsOn?.every((input) => !isReportedWithin(primary, input)) === true);
  return [...primary, ...crossField];
}

/** All problems of one source in one error: a header line, then one `<path>: <reason>` per line. */
export function configError(source: string, lines: readonly string[]): MeshgateError {
  const unique = [...new Set(lines)];
  const noun = unique.length === 1 ? 'error' : 'errors';
  const message = [`Invalid configuration in ${source} (${unique.length} ${noun}):`, ...unique].join('\n');
  return new MeshgateError('validation', message, { details: { source, errors: unique } });
}
