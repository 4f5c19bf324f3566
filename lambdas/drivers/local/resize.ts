import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { DriverError } from '../../core/errors.ts';
import type { ShareInstance } from '../../core/model.ts';
import { ShareShrinkingPossibleDataLossError } from '../../core/shares/resize-errors.ts';
import { readJson, writeJsonAtomic } from './fs-util.ts';
import type { InstanceLocator } from './instance-locator.ts';
import { allocatedGb } from './pool-capabilities.ts';
import { LocalInstanceFiles, type LocalInstanceRecord } from './records.ts';

const GIB = 1024 ** 3;

/**
 * extend and shrink on a local backend: an instance's size is what its `instance.json` records (a pool's
 * allocated capacity is the sum of those), since a folder has no size of its own. Extending refuses when
 * the pool's configured capacity has no room for the increase; shrinking refuses when the data folder
 * holds more than the new size (ShareShrinkingPossibleDataLossError). Both are idempotent.
 */
export async function extendLocalInstance(locator: InstanceLocator, instance: ShareInstance, newSizeGb: number): Promise<void> {
  const { dir, record } = await instanceRecord(locator, instance);
  const increase = newSizeGb - record.size_gb;
  if (increase <= 0) return;
  const capacity = locator.config.pools.find((pool) => pool.name === record.pool)?.total_capacity_gb;
  if (capacity !== undefined) {
    const free = capacity - (await allocatedGb(locator.poolPath(record.pool)));
    if (free < increase) {
      throw new DriverError(
        `Pool ${record.pool} of ${locator.backendHost} has ${free} GiB unallocated, ${increase} GiB more were asked for instance ${instance.id}`,
        { shareId: instance.share_id },
      );
    }
  }
  await writeJsonAtomic(path.join(dir, LocalInstanceFiles.INSTANCE), { ...record, size_gb: newSizeGb });
}

export async function shrinkLocalInstance(locator: InstanceLocator, instance: ShareInstance, newSizeGb: number): Promise<void> {
  const { dir, record } = await instanceRecord(locator, instance);
  if (record.size_gb === newSizeGb) return;
  const used = await bytesUnder(path.join(dir, LocalInstanceFiles.DATA));
  if (used > newSizeGb * GIB) throw new ShareShrinkingPossibleDataLossError(instance.share_id);
  await writeJsonAtomic(path.join(dir, LocalInstanceFiles.INSTANCE), { ...record, size_gb: newSizeGb });
}

async function instanceRecord(locator: InstanceLocator, instance: ShareInstance): Promise<{ dir: string; record: LocalInstanceRecord }> {
  const dir = await locator.existingInstanceDir(instance);
  const record = (await readJson(path.join(dir, LocalInstanceFiles.INSTANCE))) as LocalInstanceRecord | undefined;
  if (!record) throw new DriverError(`Instance ${instance.id} has no ${LocalInstanceFiles.INSTANCE} in ${dir}`, { shareId: instance.share_id });
  return { dir, record };
}

/** The bytes the files under `dir` take (their sizes, not following links): what a shrink must keep room for. */
async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else total += (await lstat(full)).size;
    }
  }
  return total;
}
