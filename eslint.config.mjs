// Lint rules that carry the architecture: env is read only in shared/config, cloud SDKs only in their adapters.
import tseslint from 'typescript-eslint';

const SDKS = ['@aws-sdk/*', '@azure/cosmos', '@azure/arm-*', '@google-cloud/firestore', '@google-cloud/dns'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.serverless/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read the environment only in shared/config.' }],
    },
  },
  {
    files: ['shared/core/**', 'shared/ports/**', 'shared/usecases/**', 'functions/**', 'shared/config/**', 'shared/composition/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: SDKS, message: 'Cloud SDKs belong in shared/adapters/<cloud>.' }] }],
    },
  },
  {
    files: ['shared/core/**', 'shared/ports/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: SDKS, message: 'Cloud SDKs belong in shared/adapters/<cloud>.' },
          { group: ['node:*', 'fs', 'net', 'http', 'https', 'undici', 'pino'], message: 'shared/core and shared/ports do no I/O.' },
          { group: ['**/adapters/**', '**/usecases/**', '**/config/**', '**/composition/**'], message: 'core and ports depend only on core.' },
        ],
      }],
    },
  },
  {
    files: ['shared/config/**', 'test/**', 'bench/**', 'infra/**', 'scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
