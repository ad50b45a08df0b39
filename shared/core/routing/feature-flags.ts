/**
 * Feature flags forwarded to backends as one request header, `Mcp-Meshgate-Flags: a,b`.
 *
 * A flag is `true` (on for everyone), `false` (off), or `{ percent }` (on for a sticky share of clients:
 * `percentBucket(clientKey, 'flag:<name>') < percent`, salted per flag so shares are independent). Without a
 * client key a partial flag is off. Names are sorted so the header value is canonical.
 */
import { MeshgateError } from '../errors';
import { percentBucket } from './hash';

export const FLAGS_HEADER = 'Mcp-Meshgate-Flags';

export type FlagSetting = boolean | { readonly percent: number };

export type FlagsConfig = Readonly<Record<string, FlagSetting>>;

const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function enabledFlags(flags: FlagsConfig, clientKey?: string): string[] {
  const on: string[] = [];
  for (const [name, setting] of Object.entries(flags)) {
    if (!FLAG_NAME.test(name)) {
      throw new MeshgateError('validation', `flags.${name}: flag names are 1-64 of [A-Za-z0-9_.-]`, {
        details: { path: `flags.${name}` },
      });
    }
    if (flagOn(name, setting, clientKey)) on.push(name);
  }
  return on.sort();
}

function flagOn(name: string, setting: FlagSetting, clientKey: string | undefined): boolean {
  if (typeof setting === 'boolean') return setting;
  const { percent } = setting;
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) {
    throw new MeshgateError('validation', `flags.${name}.percent: must be a number from 0 to 100`, {
      details: { path: `flags.${name}.percent` },
    });
  }
  if (percent >= 100) return true;
  if (percent <= 0 || clientKey === undefined || clientKey.length === 0) return false;
  return percentBucket(clientKey, `flag:${name}`) < percent;
}

/** The header value (`a,b`), or `undefined` when no flag is on (send no header then). */
export function flagsHeaderValue(flags: FlagsConfig, clientKey?: string): string | undefined {
  const on = enabledFlags(flags, clientKey);
  return on.length > 0 ? on.join(',') : undefined;
}

/** Parses a header value back into flag names (blank items ignored); for backends and tests. */
export function parseFlagsHeader(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
