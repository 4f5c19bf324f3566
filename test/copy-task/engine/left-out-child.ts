/**
 * Run by left-out-metadata.test.ts inside the private mount namespace where the destination's file
 * system is mounted (see private-mount.ts, holdPrivateMount); prints one JSON line.
 *
 *   copy SRC DST OPTIONS   copyTree with OPTIONS (JSON; `portable: true` adds a hook, so the portable walk
 *                          runs): { summary } or { error: { name, message } }
 *   container ENV          runCopyContainer with ENV (JSON) and a sink in memory: { code, finished, failed, logs }
 */
import type { CopyPass } from '../../../lambdas/core/model.ts';
import type { CopyProgressSink } from '../../../lambdas/core/progress.ts';
import { runCopyContainer } from '../../../copy-task/container.ts';
import { copyTree, type CopyOptions } from '../../../copy-task/engine/index.ts';

const [command, ...args] = process.argv.slice(2);

async function main(): Promise<unknown> {
  switch (command) {
    case 'copy': {
      const [source, destination, json] = args as [string, string, string];
      const { portable, ...options } = JSON.parse(json) as CopyOptions & { portable?: boolean };
      try {
        return { summary: await copyTree(source, destination, { ...options, ...(portable ? { hooks: { afterCopy: () => undefined } } : {}) }) };
      } catch (error) {
        return { error: { name: (error as Error).name, message: (error as Error).message } };
      }
    }
    case 'container': {
      const finished: unknown[] = [];
      const failed: { pass: CopyPass; message: string }[] = [];
      const logs: unknown[] = [];
      const sink: CopyProgressSink = {
        report: async () => undefined,
        finished: async (outcome) => void finished.push(outcome),
        failed: async (pass, message) => void failed.push({ pass, message }),
        cancelRequested: async () => false,
      };
      const code = await runCopyContainer(JSON.parse(args[0] as string) as Record<string, string>, { sink, writeLog: (line) => logs.push(JSON.parse(line)) });
      return { code, finished, failed, logs };
    }
    default:
      throw new Error(`unknown command ${String(command)}`);
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
