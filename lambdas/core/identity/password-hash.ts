import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords and application credential secrets are kept as scrypt hashes, never in clear:
 * `scrypt$<N>$<r>$<p>$<salt, base64url>$<key, base64url>`. The parameters travel with the hash so they
 * can be raised later without invalidating what is stored.
 */
const PREFIX = 'scrypt';
const KEY_BYTES = 32;
const DEFAULTS = { N: 16_384, r: 8, p: 1 } as const;
/** N=16384, r=8 needs 16 MiB; leave room for N up to 2^17 in stored hashes. */
const MAX_MEMORY = 256 * 1024 * 1024;

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, { ...options, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, DEFAULTS);
  return [PREFIX, DEFAULTS.N, DEFAULTS.r, DEFAULTS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `stored` reads as a hash hashSecret made (checked when the configuration is loaded). */
export function isSecretHash(stored: string): boolean {
  return parse(stored) !== undefined;
}

/** True when `secret` is the one `stored` was made from; compared in constant time. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === undefined) return false;
  const key = await derive(secret, parsed.salt, parsed.options);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

function parse(stored: string): { options: ScryptOptions; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || (N & (N - 1)) !== 0 || N > 1 << 17 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length !== KEY_BYTES) return undefined;
  return { options: { N, r, p }, salt, key };
}
