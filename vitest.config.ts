import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples import the package by name, as users do; in tests that name points at the sources.
    alias: [
      { find: /^vrrp\/testing$/, replacement: src('testing/index.ts') },
      { find: /^vrrp\/linux$/, replacement: src('linux/index.ts') },
      { find: /^vrrp$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests fork real processes: each lab host runs its own process inside its network namespace.
    pool: 'forks',
    testTimeout: 60_000,
  },
});
