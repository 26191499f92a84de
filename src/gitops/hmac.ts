/**
 * Signatures of webhook bodies, compared in constant time: GitHub's `X-Hub-Signature-256`
 * (HMAC-SHA256 of the body), GitLab's `X-Gitlab-Token` (a shared token), and slipway's own
 * scheme (HMAC-SHA256 of `<timestamp>.<body>`, the way Stripe and Slack sign), which the generic
 * receiver checks and the notifier's generic webhooks send.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

function hmac(secret: string, parts: readonly (string | Uint8Array)[]): Buffer {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `parts` under one of `secrets`. Every
 * secret is tried (a rotation has two), each comparison in constant time.
 */
export function hmacMatches(header: string, secrets: readonly string[], parts: readonly (string | Uint8Array)[]): boolean {
  const m = /^sha256=(.*)$/i.exec(header.trim());
  const hex = m?.[1] ?? '';
  if (!HEX_SHA256.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  let ok = false;
  for (const s of secrets) ok = timingSafeEqual(hmac(s, parts), given) || ok;
  return ok;
}

/** Whether `token` equals one of `secrets`, in time independent of where they differ or of their lengths. */
export function tokenMatches(token: string, secrets: readonly string[]): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  const given = digest(token);
  let ok = false;
  for (const s of secrets) ok = timingSafeEqual(digest(s), given) || ok;
  return ok;
}

/** slipway's signature header value for `body` sent at `timestamp` (unix seconds): `sha256=<hex>`. */
export function signBody(secret: string, timestamp: number, body: string | Uint8Array): string {
  return `sha256=${hmac(secret, [`${timestamp}.`, body]).toString('hex')}`;
}
