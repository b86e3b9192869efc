import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests fork real processes (raw-socket loads in one thread per process only).
    pool: 'forks',
    testTimeout: 60_000,
  },
});
