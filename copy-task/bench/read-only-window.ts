/**
 * The read-only window (issue 15): the final pass of a migration runs while the share is read-only, in a
 * copy task that keeps no state (a fresh Fargate container). `npm run bench -- --only window
 * [--window-files N]` measures it here, each pass in a fresh process as on Fargate:
 *
 * - a tree of N small files (1-16 KiB) is copied by a bulk pass of the copy task's container entry
 *   (copy-task/bin/smig-copy-container.ts, the program the ECS task and the local runtime run), whose
 *   progress and pass record go to a dynalite of this process (the partitions table, as on AWS);
 * - each round: 1% of the files change (other files each round), the stored record is made to read as
 *   another machine's (another boot: no local-only shortcut), and the final pass runs in a fresh process,
 *   verified from storage and durable, as the workflow runs it. Round 1 follows the bulk pass only (the
 *   record has a destination mark, no source mark yet); later rounds have both (a migration with refresh passes);
 * - beside it: the CLI's no-op pass with its remembered state, rsync -a over its own copy after the same
 *   change, and the time to copy the changed files alone (a tree of hard links to them, into an empty folder).
 *
 * The issue's bar: the final pass at most 2 x the remembered-state no-op plus the changed bytes' copy time.
 */
import { linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { passRecordItem } from '../../lambdas/adapters/dynamodb/pass-record-table.ts';
import { DYNAMODB_SOCKET_ENV } from '../../lambdas/adapters/dynamodb/unix-socket.ts';
import { CopyTaskEnv } from '../../lambdas/core/workflow.ts';
import { LOCAL_AWS_CREDENTIALS, LOCAL_REGION, startDynalite } from '../../local/dynalite-server.ts';
import { flush, median, timed, warm } from './measure.ts';
import { buildSmallTree } from './trees.ts';

const CONTAINER_ENTRY = join(import.meta.dirname, '../bin/smig-copy-container.ts');
const MIGRATION = 'bench-window';
const ANOTHER_BOOT = '00000000-0000-0000-0000-000000000000';

export interface WindowOptions {
  readonly base: string;
  readonly files: number;
  readonly runs: number;
  readonly smigBin: string;
  readonly log: (text: string) => void;
}

export interface WindowResult {
  readonly files: number;
  readonly changedFiles: number;
  readonly changedBytes: number;
  /** The final pass after the bulk pass only (no source mark yet). */
  readonly firstFinal: number;
  /** Final passes with both marks (after a pass that had a record). */
  readonly finals: number[];
  readonly finalNoop: number[];
  readonly rememberedNoop: number[];
  readonly rsync: number[];
  readonly changedCopy: number[];
  readonly bar: number;
  readonly lines: string[];
}

/** Every file of the tree, in a fixed order. */
function filesOf(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else out.push(join(dir, entry.name));
    }
  };
  walk(root);
  return out;
}

export async function readOnlyWindowCase(options: WindowOptions): Promise<WindowResult> {
  const { base, files, runs, smigBin, log } = options;
  const source = join(base, `window-${files}`);
  if (buildSmallTree(source, { files, folders: Math.max(1, Math.round(files / 50)), minBytes: 1024, maxBytes: 16 * 1024 }, 3)) log(`  built ${source}`);
  const destination = join(base, 'dst-window');
  const rsyncDestination = join(base, 'dst-window-rsync');
  const stateDir = join(base, 'state-window');
  for (const dir of [destination, rsyncDestination, stateDir]) rmSync(dir, { recursive: true, force: true });

  const dynalite = await startDynalite();
  try {
    const client = createDocumentClient(dynalite.clientConfig);
    await client.send(new PutCommand({ TableName: dynalite.tableNames.migrations, Item: { id: MIGRATION, version: 1 } }));
    const env = (pass: string): NodeJS.ProcessEnv => ({
      [CopyTaskEnv.MIGRATIONS_TABLE]: dynalite.tableNames.migrations, [CopyTaskEnv.PARTITIONS_TABLE]: dynalite.tableNames.partitions,
      [DYNAMODB_SOCKET_ENV]: dynalite.socketPath, AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      [CopyTaskEnv.MIGRATION_ID]: MIGRATION, [CopyTaskEnv.SOURCE]: source, [CopyTaskEnv.DESTINATION]: destination, [CopyTaskEnv.PASS]: pass,
    });
    const container = (pass: string) => timed([process.execPath, CONTAINER_ENTRY], { env: env(pass) });
    const key = { migration_id: MIGRATION, item: passRecordItem(undefined) };
    /** The stored record as a container on another machine finds it. */
    const fromAnotherMachine = async () => {
      const item = (await client.send(new GetCommand({ TableName: dynalite.tableNames.partitions, Key: key, ConsistentRead: true }))).Item;
      if (!item) throw new Error('the copy task kept no pass record');
      const record = { ...(JSON.parse(item['record'] as string) as Record<string, unknown>), boot: ANOTHER_BOOT };
      await client.send(new PutCommand({ TableName: dynalite.tableNames.partitions, Item: { ...item, record: `${JSON.stringify(record)}\n` } }));
    };
    const quiet = () => {
      flush();
      warm(source, false);
      warm(destination, false);
    };

    log('  window: bulk pass (copy task entry)');
    log(`  window: bulk ${(await container('bulk')).seconds.toFixed(2)} s`);
    await timed(['rsync', '-a', `${source}/`, `${rsyncDestination}/`]);
    const all = filesOf(source);
    const pool = randomFillSync(Buffer.allocUnsafe(16 * 1024 * 1024));
    const result = { finals: [] as number[], finalNoop: [] as number[], rememberedNoop: [] as number[], rsync: [] as number[], changedCopy: [] as number[] };
    let firstFinal = 0;
    let changedFiles = 0;
    let changedBytes = 0;
    for (let round = 0; round < runs; round++) {
      // 1% of the files, others each round: new content of the same size (a new mtime and ctime).
      const changed = all.filter((_, i) => i % 100 === round % 100);
      changedFiles = changed.length;
      changedBytes = 0;
      for (const file of changed) {
        const size = statSync(file).size;
        changedBytes += size;
        const at = Math.floor(Math.random() * (pool.length - size));
        writeFileSync(file, pool.subarray(at, at + size));
      }
      // The changed files alone, copied into an empty folder: what their bytes cost to copy.
      const alone = join(base, 'window-changed');
      const aloneCopy = join(base, 'dst-window-changed');
      rmSync(alone, { recursive: true, force: true });
      rmSync(aloneCopy, { recursive: true, force: true });
      for (const file of changed) {
        const to = join(alone, relative(source, file));
        mkdirSync(dirname(to), { recursive: true });
        linkSync(file, to);
      }
      await fromAnotherMachine();
      quiet();
      const final = (await container('final')).seconds;
      if (round === 0) firstFinal = final;
      else result.finals.push(final);
      flush();
      warm(alone, true);
      result.changedCopy.push((await timed([process.execPath, smigBin, '--no-verify', '--no-state', alone, aloneCopy])).seconds);
      quiet();
      result.rsync.push((await timed(['rsync', '-a', `${source}/`, `${rsyncDestination}/`])).seconds);
      // Over a tree in sync: the copy task's final pass with the record, and the CLI with its remembered state.
      await fromAnotherMachine();
      quiet();
      result.finalNoop.push((await container('final')).seconds);
      const cli = [process.execPath, smigBin, '--no-verify', '--state-dir', stateDir, source, destination];
      if (round === 0) await timed(cli);
      quiet();
      result.rememberedNoop.push((await timed(cli)).seconds);
      log(`  window round ${round + 1}/${runs}: final ${final.toFixed(2)} s (${changedFiles} files changed), final no-op ${result.finalNoop.at(-1)!.toFixed(2)} s, ` +
        `remembered no-op ${result.rememberedNoop.at(-1)!.toFixed(2)} s, rsync -a ${result.rsync.at(-1)!.toFixed(2)} s, changed alone ${result.changedCopy.at(-1)!.toFixed(2)} s`);
    }
    const bar = 2 * median(result.rememberedNoop) + median(result.changedCopy);
    const finalMedian = result.finals.length > 0 ? median(result.finals) : firstFinal;
    const lines = [
      `window: ${files.toLocaleString('en')} files, ${changedFiles.toLocaleString('en')} changed (${(changedBytes / 1024 / 1024).toFixed(1)} MiB); each pass a fresh process, the record from the store (another boot)`,
      `  final pass after the bulk pass only (destination mark)      ${firstFinal.toFixed(3)} s`,
      ...(result.finals.length > 0 ? [`  final pass with both marks (median of ${result.finals.length})            ${median(result.finals).toFixed(3)} s`] : []),
      `  final pass over a tree in sync (both marks)                 ${median(result.finalNoop).toFixed(3)} s`,
      `  smig-copy no-op with remembered state (CLI)                 ${median(result.rememberedNoop).toFixed(3)} s`,
      `  the changed files alone, copied                             ${median(result.changedCopy).toFixed(3)} s`,
      `  rsync -a after the same change                              ${median(result.rsync).toFixed(3)} s`,
      `  bar: 2 x remembered no-op + changed copy = ${bar.toFixed(3)} s: ${finalMedian <= bar ? 'met' : 'MISSED'} (both marks), ${firstFinal <= bar ? 'met' : 'MISSED'} (after the bulk pass only)`,
    ];
    return { files, changedFiles, changedBytes, firstFinal, ...result, bar, lines };
  } finally {
    await dynalite.close();
    for (const dir of [destination, rsyncDestination, stateDir, join(base, 'window-changed'), join(base, 'dst-window-changed')]) rmSync(dir, { recursive: true, force: true });
  }
}
