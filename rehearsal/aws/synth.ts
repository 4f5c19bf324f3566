/**
 * `cdk synth` as an operator runs it before `cdk deploy`: the project's CDK app (cdk.json), its cdk-nag
 * checks, esbuild bundling of every function and the staging of the copy image's build context, into an
 * output folder of the rehearsal's. The context is given on the command line.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CDK_CLI = path.join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

export interface SynthOptions {
  readonly outdir: string;
  readonly context: Readonly<Record<string, unknown>>;
  readonly logFile: string;
}

/** Synthesizes into `outdir` and returns it. */
export async function synthesize(options: SynthOptions): Promise<string> {
  const args = [CDK_CLI, 'synth', '--quiet', '--no-notices', '--no-version-reporting', '--output', options.outdir];
  for (const [key, value] of Object.entries(options.context)) {
    args.push('--context', `${key}=${typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : JSON.stringify(value)}`);
  }
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: {
      ...process.env,
      // cdk.json runs the app with `node`: the Node.js running the rehearsal (22), whatever PATH says.
      PATH: [path.dirname(process.execPath), path.join(REPO_ROOT, 'node_modules', '.bin'), process.env['PATH'] ?? ''].join(path.delimiter),
      CDK_DISABLE_VERSION_CHECK: '1',
    } });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('error', reject);
    child.once('close', resolve);
  });
  await new Promise<void>((resolve) => log.end(resolve));
  if (code !== 0) throw new Error(`cdk synth failed (exit ${code}); see ${options.logFile}`);
  return options.outdir;
}
