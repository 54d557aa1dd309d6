import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'scratch/', '.sluice/', 'bench/data/', 'bench/out/', 'dist/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A leading underscore marks a value taken out on purpose (rest destructuring).
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*'], message: 'AWS SDK only in shared/aws/ and functions/' }] }],
    },
  },
  { files: ['shared/aws/**', 'functions/**', 'infra/**', 'test/**'], rules: { 'no-restricted-imports': 'off' } },
  {
    // The independent reader is a second opinion on the engine only while it shares no code with it.
    files: ['shared/verify/independent.ts', 'shared/verify/independent-check.ts', 'shared/verify/line-sequence.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/formats/*', '**/process/*', '**/rules/*', '**/plan/*', '**/compile/*', '**/report/*'], message: 'the independent reader shares no code with the engine' }] }],
    },
  },
  { files: ['**/*.d.ts'], rules: { '@typescript-eslint/consistent-type-imports': 'off' } },
);
