/**
 * loadNetlink (src/linux/native.ts) loads the four files of netlink we use, not the package's index, which also
 * loads its nl80211, genl and WireGuard codecs into every thread that asks (about 0.8 MiB of start-up allocation on
 * the engine thread). Checked in a fresh process, whose module cache nothing else has filled.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const loader = fileURLToPath(new URL('../interop/fixtures/ts-loader.mjs', import.meta.url));
const native = new URL('../../src/linux/native.ts', import.meta.url).href;

function loadedNetlinkFiles(): string[] {
  const script = `
    const { loadNetlink } = await import(${JSON.stringify(native)});
    const netlink = loadNetlink();
    const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    const files = Object.keys(cache).filter((f) => f.includes('/node_modules/netlink/')).map((f) => f.split('/node_modules/netlink/')[1]);
    console.log(JSON.stringify({ files, api: [typeof netlink.createRtNetlink, typeof netlink.RawNetlinkSocket, typeof netlink.AttrStream, typeof netlink.rt.parseAddressMessage] }));
  `;
  const out = execFileSync(process.execPath, ['--import', loader, '--input-type=module', '-e', script], { encoding: 'utf8' });
  const { files, api } = JSON.parse(out.trim().split('\n').at(-1) as string) as { files: string[]; api: string[] };
  expect(api, 'the module loadNetlink returns').toEqual(['function', 'function', 'function', 'function']);
  return files;
}

describe('loadNetlink', () => {
  it('loads the rtnetlink parts without the package index and its nl80211, genl and WireGuard codecs', () => {
    const files = loadedNetlinkFiles();
    expect(files).toContain('dist/rt/rt.js');
    expect(files.filter((f) => f === 'dist/index.js' || /^dist\/(nl80211|genl|wg)\//.test(f))).toEqual([]);
  });
});
