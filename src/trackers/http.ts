/**
 * `http` trackers: up when a GET of the URL answers with a status in range and, if asked, a body that matches.
 *
 * - A fresh connection per check (no keep-alive agent): a health check must find out whether the server accepts
 *   connections now, not reuse one it accepted a minute ago.
 * - Redirects are not followed (keepalived's HTTP_GET does not either): a 301 is judged as a status like any other.
 * - Only a check with `bodyMatch` reads the body, and at most 1 MiB of it.
 * keepalived's VRRP side has no such tracker (HTTP_GET belongs to LVS real servers); there, users run
 * `vrrp_script { script "curl -fs http://…" }`.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { errorReason, type Probe, type ProbeResult } from './types.js';

/** How much of a body is read for `bodyMatch`, in bytes. */
const MAX_BODY_BYTES = 1024 * 1024;

/** What an `http` probe needs from its tracker's configuration. */
export interface HttpProbeConfig {
  /** `http://…` or `https://…`. */
  url: string;
  /** Accepted statuses, inclusive. */
  status: readonly [number, number];
  /** A substring, or `/regex/flags`. */
  bodyMatch?: string | undefined;
}

/** Creates the probe of an `http` tracker: each call makes one GET request. */
export function createHttpProbe(config: HttpProbeConfig): Probe {
  const matcher = config.bodyMatch === undefined ? undefined : bodyMatcher(config.bodyMatch);
  const [min, max] = config.status;
  // By the parsed scheme: validation takes `HTTPS://…` (the URL parser lowers it), which a prefix test sent to
  // node:http, whose request() then threw ERR_INVALID_PROTOCOL at every check (found by review).
  const request = schemeOf(config.url) === 'https:' ? httpsRequest : httpRequest;
  return (signal) =>
    new Promise<ProbeResult>((resolve) => {
      if (signal.aborted) return resolve({ up: false, reason: 'aborted before it ran' });
      let done = false;
      let req: ClientRequest | undefined;
      const finish = (result: ProbeResult): void => {
        if (done) return;
        done = true;
        resolve(result);
        req?.destroy();
      };
      const onResponse = (res: IncomingMessage): void => {
        const status = res.statusCode ?? 0;
        if (status < min || status > max) {
          finish({ up: false, reason: `status ${status}${min === max ? `, expected ${min}` : `, expected ${min}–${max}`}` });
          return;
        }
        if (!matcher) {
          finish({ up: true, reason: `status ${status}` });
          return;
        }
        readBody(res).then(
          (body) =>
            finish(
              matcher.test(body)
                ? { up: true, reason: `status ${status}, body matches ${matcher.label}` }
                : { up: false, reason: `status ${status} but the body does not match ${matcher.label}` },
            ),
          (error: unknown) => finish({ up: false, reason: `status ${status} but the body failed: ${errorReason(error)}` }),
        );
      };
      try {
        req = request(config.url, { method: 'GET', agent: false, signal, headers: { connection: 'close', 'user-agent': 'vrrp-tracker' } }, onResponse);
      } catch (error) {
        // request() throws for what it cannot even try (a URL it refuses): a failed check, never a rejected probe.
        finish({ up: false, reason: errorReason(error) });
        return;
      }
      req.on('error', (error) => finish({ up: false, reason: signal.aborted ? 'aborted' : errorReason(error) }));
      req.end();
    });
}

/** The URL's scheme as the URL parser reads it (lower case, with its colon); '' for a URL it refuses. */
function schemeOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}

/** A body test: `/regex/flags` is a regular expression, anything else a substring. */
function bodyMatcher(bodyMatch: string): { test: (body: string) => boolean; label: string } {
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(bodyMatch);
  if (regex) {
    const pattern = new RegExp(regex[1] ?? '', regex[2]);
    return {
      test: (body) => {
        pattern.lastIndex = 0; // a /g or /y pattern remembers where its last match ended
        return pattern.test(body);
      },
      label: bodyMatch,
    };
  }
  return { test: (body) => body.includes(bodyMatch), label: JSON.stringify(bodyMatch) };
}

/** Up to {@link MAX_BODY_BYTES} of a response body, as UTF-8. */
function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= MAX_BODY_BYTES) {
        res.destroy();
        resolve(Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8'));
      }
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}
