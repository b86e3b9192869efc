#!/usr/bin/env node
/**
 * The `vrrp` executable: sets the V8 flags of the command it is asked for (src/jit-tiers.ts), then loads the
 * commands (src/cli-commands.ts). V8 reads its tier flags as it compiles, so they are set before any other module
 * of ours loads and before the engine thread starts: this file imports only node:v8, src/early-signals.ts and
 * src/jit-tiers.ts (which import nothing) statically, and the commands after.
 */
import { setFlagsFromString } from 'node:v8';
import { holdSignals } from './early-signals.js';
import { v8FlagsFor } from './jit-tiers.js';

// First of all, for `vrrp run`: no instant in which SIGUSR1 opens Node's inspector or SIGUSR2 or SIGHUP kills it
// (src/early-signals.ts). The other commands are short and keep Node's defaults.
if (process.argv[2] === 'run') holdSignals(['SIGUSR1', 'SIGUSR2', 'SIGHUP']);

const flags = v8FlagsFor(process.argv.slice(2), process.execArgv);
if (flags !== undefined) setFlagsFromString(flags);
await import('./cli-commands.js');
