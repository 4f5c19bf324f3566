#!/usr/bin/env node
/**
 * Composition root of the purge task's container: the copy image run with the purge task definition's
 * entry point (`node copy-task/bin/smig-purge-container.ts`), a file system's root mounted, its job in the
 * environment (PurgeTaskEnv). Process signals and stdout logs, then the exit code (PurgeExitCode).
 */
import { runPurgeContainer } from '../runtime/purge-container.ts';

process.exit(await runPurgeContainer(process.env));
