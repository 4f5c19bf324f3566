#!/usr/bin/env node
/**
 * `node local/identity/hash-secret.ts`: reads a password or application credential secret on stdin and
 * prints the scrypt hash to put in `<data>/identity.json` (docs/identity.md). The secret never appears
 * in the command line (where `ps` and shell history would keep it).
 */
import { hashSecret } from '../../lambdas/core/identity/password-hash.ts';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const secret = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
if (secret === '') {
  process.stderr.write('Give the secret on stdin, e.g. read -rs P && printf %s "$P" | node local/identity/hash-secret.ts\n');
  process.exit(2);
}
process.stdout.write(`${await hashSecret(secret)}\n`);
