/**
 * jest (CommonJS) cannot load ESM-only packages such as @middy/core 6 without transforming node_modules.
 * This loads the real package source, converts it to CommonJS with esbuild (what the production bundle does
 * too) and evaluates it, for use in `jest.mock(name, () => requireEsmAsCjs(name))`.
 */
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';

export function requireEsmAsCjs(specifier: string): unknown {
  const file = require.resolve(specifier);
  const { code } = transformSync(readFileSync(file, 'utf8'), { format: 'cjs', platform: 'node', target: 'node20', sourcefile: file });
  const module = { exports: {} as Record<string, unknown> };
  new Function('require', 'module', 'exports', code)(require, module, module.exports);
  return module.exports;
}
