#!/usr/bin/env node
// The smig-copy command: the compiled CLI (copy-task/cli/build.mjs, run by `npm ci`), or the
// TypeScript sources when it has not been built.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/smig-copy.mjs', import.meta.url);
await import(existsSync(compiled) ? compiled.href : new URL('./smig-copy.ts', import.meta.url).href);
