// Lint rules that tsc does not cover: layering, time injection, no `export *`.
import tseslint from 'typescript-eslint'

const noBareTime = [
  { object: 'Date', property: 'now', message: 'Use the injected Clock (src/util/clock.ts).' },
]
const noTimers = ['setTimeout', 'setInterval'].map((name) => ({
  name,
  message: 'Use the injected Clock (src/util/clock.ts) so time-dependent logic is testable.',
}))

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', '**/generated/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Named exports only, no export *.' }],
    },
  },
  {
    // Log, broker and runtime code take time from an injected Clock.
    files: ['src/log/**/*.ts', 'src/broker/**/*.ts', 'src/stream/runtime/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', ...noBareTime],
      'no-restricted-globals': ['error', ...noTimers],
    },
  },
  {
    // Dependencies point one way: util -> protocol -> log -> broker; stream only sees src/client interfaces.
    files: ['src/util/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../protocol/*', '../log/*', '../broker/*', '../client/*', '../stream/*', '../cli/*'] }] },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/log/*', '**/broker/*', '**/client/*', '**/stream/*', '**/cli/*'] }] },
  },
  {
    files: ['src/log/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/broker/*', '**/client/*', '**/stream/*', '**/cli/*'] }] },
  },
  {
    files: ['src/broker/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/client/*', '**/stream/*', '**/cli/*'] }] },
  },
  {
    // The remote client and its host see only the Client interface (and util), whatever client the host serves.
    files: ['src/client/remote/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/broker/*', '**/log/*', '**/protocol/*', '**/stream/*', '**/cli/*', '**/client/embedded/*', '**/client/kafka/*', '**/assignors/*'] }] },
  },
  {
    files: ['src/stream/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/broker/*', '**/log/*', '**/protocol/*', '**/cli/*', '**/client/embedded/*', '**/client/kafka/*'] }] },
  },
)
