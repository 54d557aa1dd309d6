import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'scratch/', '.sluice/', 'bench/data/', 'bench/out/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*'], message: 'AWS SDK only in shared/aws/ and functions/' }] }],
    },
  },
  { files: ['shared/aws/**', 'functions/**', 'infra/**', 'test/**'], rules: { 'no-restricted-imports': 'off' } },
);
