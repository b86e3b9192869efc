/**
 * Runs the example's own tests (examples/test-your-hooks/run-on-master.test.ts) as part of `npm test`, so that the
 * example keeps working as the library changes. The example imports `vrrp` and `vrrp/testing` by name, as an app
 * does; vitest.config.ts points those names at the sources.
 */
import '../../examples/test-your-hooks/run-on-master.test.js';
