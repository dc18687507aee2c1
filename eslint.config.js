// ESLint flat config: type-aware typescript-eslint rules (see CONTRIBUTING.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test registers tests synchronously; their returned promises are the runner's.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        { selector: 'TSEnumDeclaration', message: 'Use a string-literal union.' },
      ],
    },
  },
  {
    // Ambient declarations of third-party modules must mirror their default exports.
    files: ['**/*.d.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Tests narrow with assertions the type checker cannot see.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unnecessary-condition': 'off' },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { 'no-restricted-syntax': 'off' },
  },
  // SDK imports live only in their own folders (design.md §2): transports, LLM providers.
  ...sdkBoundaries(),
);

/** Each SDK may be imported only inside its own folder. */
function sdkBoundaries() {
  const sdks = [
    { folder: 'src/transport/xmpp', group: ['@xmpp/*'], name: '@xmpp/*' },
    {
      folder: 'src/transport/matrix',
      group: ['matrix-js-sdk', 'matrix-js-sdk/*', '@matrix-org/*'],
      name: 'matrix-js-sdk',
    },
    {
      folder: 'src/agent/llm',
      group: [
        '@anthropic-ai/sdk',
        '@anthropic-ai/sdk/*',
        'openai',
        'openai/*',
        'ollama',
        'ollama/*',
      ],
      name: 'the LLM client libraries',
    },
  ];
  const ban = (list) => ({
    'no-restricted-imports': [
      'error',
      {
        patterns: list.map((sdk) => ({
          group: sdk.group,
          message: `Only ${sdk.folder} may import ${sdk.name}.`,
        })),
      },
    ],
  });
  return [
    { files: ['src/**/*.ts'], rules: ban(sdks) },
    ...sdks.map((sdk) => ({
      files: [`${sdk.folder}/**/*.ts`],
      rules: ban(sdks.filter((other) => other !== sdk)),
    })),
  ];
}
