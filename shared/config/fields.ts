/**
 * Field schemas shared by the configuration schema, and the error map that turns zod issues into short
 * reasons. No reason quotes the value it rejects: the value might be a secret.
 */
import { z } from 'zod';
import type { CloudName } from './types';

export const CLOUD_NAMES = ['aws', 'azure', 'gcp'] as const satisfies readonly CloudName[];

const REGIONS: Record<CloudName, { readonly pattern: RegExp; readonly reason: string }> = {
  aws: { pattern: /^[a-z]{2,4}(-[a-z]+)?-[a-z]+-\d{1,2}$/, reason: 'expected an AWS region such as us-east-1' },
  azure: { pattern: /^[a-z][a-z0-9]{1,40}$/, reason: 'expected an Azure region name such as eastus' },
  gcp: { pattern: /^[a-z]+-[a-z]+\d{1,2}$/, reason: 'expected a GCP region such as us-central1' },
};

/** Why `region` is not a region of `cloud`, or undefined when it is. */
export const regionProblem = (cloud: CloudName, region: string): string | undefined =>
  REGIONS[cloud].pattern.test(region) ? undefined : REGIONS[cloud].reason;

export const region = (cloud: CloudName) => z.string().regex(REGIONS[cloud].pattern, REGIONS[cloud].reason);

export const nonEmpty = z.string().min(1);
export const secret = nonEmpty;
export const cloudName = z.enum(CLOUD_NAMES);

export const awsAccountId = z.string().regex(/^\d{12}$/, 'expected 12 digits');

export const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected UUID');

export const gcpProjectId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    'expected a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen',
  );

export const hostedZoneId = z
  .string()
  .regex(/^(\/hostedzone\/)?[A-Z0-9]{1,32}$/, 'expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ')
  .transform((id) => id.replace(/^\/hostedzone\//, ''));

export const cloudDnsZoneName = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a Cloud DNS zone name: lowercase letters, digits and hyphens');

export const hostAndPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port such as 127.0.0.1:8080');

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export const httpUrl = z.string().refine(isHttpUrl, 'expected an http or https URL');

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Lower case with a trailing dot, the form DNS providers compare. */
export const normalizeFqdn = (name: string): string => `${name.toLowerCase().replace(/\.$/, '')}.`;

export function isFqdn(name: string): boolean {
  const bare = name.toLowerCase().replace(/\.$/, '');
  const labels = bare.split('.');
  return bare.length <= 253 && labels.length >= 2 && labels.every((label) => DNS_LABEL.test(label));
}

export const fqdn = z
  .string()
  .refine(isFqdn, 'expected a fully qualified domain name such as mcp.example.com')
  .transform(normalizeFqdn);

export const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);

export const finiteNumber = (min: number, max?: number) => {
  const bounded = z.number().finite().min(min);
  return max === undefined ? bounded : bounded.max(max);
};

const TYPE_NAMES: Partial<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'a mapping',
  array: 'a list',
};

function sizeReason(issue: z.ZodTooSmallIssue | z.ZodTooBigIssue, bound: 'least' | 'most'): string {
  const limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
  if (issue.type === 'string') {
    return limit === 1 && bound === 'least' ? 'must not be empty' : `must be at ${bound} ${limit} characters long`;
  }
  if (issue.type === 'array') return `must list at ${bound} ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
  if (issue.inclusive) return `must be at ${bound} ${limit}`;
  return `must be ${bound === 'least' ? 'greater' : 'less'} than ${limit}`;
}

/** Reasons for zod's built-in issues; messages given on a schema take precedence over this map. */
export const reasonFor: z.ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.received === 'undefined') return { message: 'required' };
      // YAML reads unquoted digits and true/false as numbers and booleans; ids such as account_id need quotes.
      if (issue.expected === 'string' && (issue.received === 'number' || issue.received === 'boolean')) {
        return { message: 'expected a string (quote the value)' };
      }
      return { message: `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}` };
    case 'invalid_enum_value':
      return { message: `expected one of ${issue.options.join(', ')}` };
    case 'unrecognized_keys':
      return { message: 'unknown key' };
    case 'too_small':
      return { message: sizeReason(issue, 'least') };
    case 'too_big':
      return { message: sizeReason(issue, 'most') };
    case 'not_finite':
      return { message: 'expected a finite number' };
    default:
      return { message: 'invalid value' };
  }
};
