#!/usr/bin/env node
import { runCli } from '../cli/run-cli.ts';

// No top-level await: the compiled CLI is CommonJS (see cli/build.mjs).
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process,
  forceExit: (code) => process.exit(code),
}).then((code) => {
  process.exitCode = code;
});
