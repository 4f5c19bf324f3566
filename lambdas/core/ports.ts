import type { Migration, Share, ShareType } from './model.ts';
import type { CopyMount } from '../drivers/driver.ts';
import type { ShareListQuery } from './shares/share-list.ts';

/**
 * Storage the domain needs, owned by the domain (Powertools' persistence-layer pattern): adapters
 * implement only the calls and translate vendor errors, so a lost conditional write becomes
 * ConcurrentUpdateError.
 */
export interface VersionedStore<T extends { readonly id: string; readonly version: number }> {
  get(id: string): Promise<T | null>;
  /** Fails with ConcurrentUpdateError if an item with this id exists. */
  create(item: T): Promise<void>;
  /** Writes `item` only if the stored version is `item.version - 1`; else ConcurrentUpdateError. */
  replace(item: T): Promise<void>;
  /** Deletes only if the stored version is `version`; else ConcurrentUpdateError. */
  delete(id: string, version: number): Promise<void>;
  list(): Promise<T[]>;
}

/**
 * The share lists, served from the store's indexes: a page costs about its own size, not the table's
 * (see lambdas/adapters/dynamodb/share-list-indexes.ts for which sort keys and filters an index serves).
 */
export interface ShareListing {
  /** The page of `query` after `after`'s position in its order (the resolved marker), as pageInMemory defines it. */
  listPage(query: ShareListQuery, after: Share | null): Promise<Share[]>;
  /** How many shares the query matches, on all pages. */
  countList(query: Pick<ShareListQuery, 'scope' | 'filter'>): Promise<number>;
  /** The shares that have snapshots (snapshots live in their share's record). */
  listWithSnapshots(): Promise<Share[]>;
  /**
   * Every project's shares in one status, read as a range of the status index (the start-up's look for
   * shares whose deletion stopped half-way reads those, not the table).
   */
  listByStatus(status: string): Promise<Share[]>;
}

export type ShareStore = VersionedStore<Share> & ShareListing;

export interface MigrationStore extends VersionedStore<Migration> {
  /** A share's migrations, newest first. */
  listByShare(shareId: string): Promise<Migration[]>;
}

export interface ShareTypeStore {
  get(id: string): Promise<ShareType | null>;
  findByName(name: string): Promise<ShareType | null>;
  list(): Promise<ShareType[]>;
  put(type: ShareType): Promise<void>;
  delete(id: string): Promise<void>;
}

/** Starts and signals workflow executions (Step Functions on AWS, aws-local-stepfunctions at home). */
export interface WorkflowPort {
  startExecution(name: string, input: unknown): Promise<{ executionId: string }>;
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
}

/** A migration's copy task size (migration_start's copy_task_cpu, copy_task_memory, copy_concurrency). */
export interface CopyTaskSize {
  /** CPU units (1,024 a vCPU), as Fargate takes them. */
  readonly cpu?: number;
  /** MiB, valid for `cpu` on Fargate. */
  readonly memory?: number;
  /** The engine's operations in flight (threads copying at once). */
  readonly concurrency?: number;
}

/** Stops a running copy task (ECS StopTask on AWS, SIGTERM to the child process at home). */
export interface CopyTaskControl {
  /** `taskId` is what the copy task recorded as `copy_task_id`. A task that has already stopped is fine. */
  stopCopyTask(taskId: string, reason: string): Promise<void>;
}

/**
 * The task definition a migration's copy task runs: on ECS, a revision of the copy task definition with
 * one volume per instance that needs mounting (registered at prepare, deregistered when the migration
 * ends); at home, the child process reaches the folders directly.
 */
export interface CopyTaskDefinitions {
  /**
   * `size`: the migration's own copy task size (CopyTaskSize), given to its revision (ECS: the task's cpu and
   * memory, the container's SMIG_COPY_CONCURRENCY); absent, the stack's. At home, the child process has no size.
   */
  forMigration(migrationId: string, mounts: readonly CopyMount[], size?: CopyTaskSize): Promise<string>;
  /**
   * The task definition a purge task runs: the copy image with `root` mounted (on ECS, a file system's root
   * with IAM authorization, one revision per file system, kept for later purges) and the purge entry as
   * its program. At home, the child reaches the folder directly.
   */
  forPurge(root: CopyMount): Promise<string>;
  /** A definition that is not the migration's own, or is already gone, is left alone. */
  release(taskDefinition: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  newId(): string;
}
