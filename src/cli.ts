#!/usr/bin/env node
/**
 * The `vrrp` executable: sets the V8 flags of the command it is asked for (src/jit-tiers.ts), then loads the
 * commands (src/cli-commands.ts). V8 reads its tier flags as it compiles, so they are set before any other module
 * of ours loads and before the engine thread starts: this file imports only node:v8 and src/jit-tiers.ts (which
 * imports nothing) statically, and the commands after.
 */
import { setFlagsFromString } from 'node:v8';
import { v8FlagsFor } from './jit-tiers.js';

const flags = v8FlagsFor(process.argv.slice(2), process.execArgv);
if (flags !== undefined) setFlagsFromString(flags);
await import('./cli-commands.js');
