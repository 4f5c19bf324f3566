import type { DriverRegistry, ShareDriver } from '../../drivers/driver.ts';
import { InvalidRequestError, InvalidShareStateError, NotFoundError, errorMessage } from '../errors.ts';
import type { Share, ShareType } from '../model.ts';
import { ShareStatus } from '../model.ts';
import type { Clock, ShareStore } from '../ports.ts';
import type { ShareResizeService, ShareTypeService } from '../services.ts';
import { isBusy } from '../task-state.ts';
import { updateVersioned } from '../versioned-update.ts';
import type { DriverPoolService } from '../pools/pool-service.ts';
import type { QuotaEnforcer } from '../quotas/quota-enforcer.ts';
import { ShareExtendingError, ShareShrinkingError, ShareShrinkingPossibleDataLossError } from './resize-errors.ts';
import { activeInstance } from './share-instances.ts';

export interface ShareResizeDeps {
  readonly shares: ShareStore;
  readonly shareTypes: ShareTypeService;
  readonly pools: DriverPoolService;
  readonly drivers: DriverRegistry;
  readonly quotas: QuotaEnforcer;
  readonly clock: Clock;
}

/** Who asks: an admin's extend is held to the type's max_share_extend_size instead of max_share_size (Manila's policy default). */
export interface ResizeCaller {
  readonly isAdmin: boolean;
}

const SHRINKABLE: readonly ShareStatus[] = [ShareStatus.AVAILABLE, ShareStatus.SHRINKING_POSSIBLE_DATA_LOSS_ERROR];

/**
 * extend and shrink as manila/share/api.py checks them and manila/share/manager.py carries them out, within
 * the request (the share is `extending`/`shrinking` while its driver works): the share must be available
 * and not held by a migration; the new size goes through the type's provisioning limits and the project's
 * quotas (QuotaEnforcer); a non-forced extend must fit in the pool's free capacity (the scheduler's
 * CapacityFilter), a forced one (admin, 2.64+) goes to the driver directly. A shrink the driver refuses for
 * the data held leaves the share `available` at its size, as Manila's manager does; other driver failures
 * leave it in Manila's `extending_error` / `shrinking_error`.
 */
export class DriverShareResizeService implements ShareResizeService {
  private readonly deps: ShareResizeDeps;

  constructor(deps: ShareResizeDeps) {
    this.deps = deps;
  }

  async extend(shareId: string, newSize: number, options: ResizeCaller & { readonly force: boolean }): Promise<Share> {
    const share = await this.get(shareId);
    if (share.status !== ShareStatus.AVAILABLE) {
      throw new InvalidShareStateError(
        `Invalid share: Share ${share.id} status must be '${ShareStatus.AVAILABLE}' to extend, but current status is: ${share.status}..`,
      );
    }
    assertNotBusy(share);
    if (newSize - share.size <= 0) {
      throw new InvalidRequestError(
        `Invalid input received: New size for extend must be greater than current size. (current: ${share.size}, extended: ${newSize})..`,
      );
    }
    const type = await this.typeOf(share);
    await this.deps.quotas.checkShareSize(share.project_id, newSize);
    provisionFilterOnSize(type, newSize, options.isAdmin ? 'admin-extend' : 'extend');
    await this.deps.quotas.checkExtend(share, newSize - share.size);
    const instance = activeInstance(share);
    const driver = this.resizingDriver(instance.host, 'extendInstance', 'Extend');
    if (!options.force) await this.checkCapacity(share, instance.host, newSize - share.size);

    const extending = await this.setStatus(share, ShareStatus.AVAILABLE, ShareStatus.EXTENDING, 'extend');
    try {
      await driver.extendInstance!(activeInstance(extending), newSize);
    } catch (err) {
      await this.settle(share.id, ShareStatus.EXTENDING_ERROR);
      throw new ShareExtendingError(share.id, errorMessage(err), { cause: err });
    }
    return this.settle(share.id, ShareStatus.AVAILABLE, newSize);
  }

  async shrink(shareId: string, newSize: number): Promise<Share> {
    const share = await this.get(shareId);
    if (!SHRINKABLE.includes(share.status)) {
      throw new InvalidShareStateError(
        `Invalid share: Share ${share.id} status must in (${SHRINKABLE.join(', ')}) to shrink, but current status is: ${share.status}..`,
      );
    }
    assertNotBusy(share);
    if (share.size - newSize <= 0 || newSize <= 0) {
      throw new InvalidRequestError(
        `Invalid input received: New size for shrink must be less than current size and greater than 0 (current: ${share.size}, new: ${newSize}).`,
      );
    }
    provisionFilterOnSize(await this.typeOf(share), newSize, 'shrink');
    const driver = this.resizingDriver(activeInstance(share).host, 'shrinkInstance', 'Shrink');

    const shrinking = await this.setStatus(share, share.status, ShareStatus.SHRINKING, 'shrink');
    try {
      await driver.shrinkInstance!(activeInstance(shrinking), newSize);
    } catch (err) {
      if (err instanceof ShareShrinkingPossibleDataLossError) {
        // Manila's manager: the driver refused for the data held; the share is usable as it was.
        await this.settle(share.id, ShareStatus.AVAILABLE);
        throw err;
      }
      await this.settle(share.id, ShareStatus.SHRINKING_ERROR);
      throw new ShareShrinkingError(share.id, errorMessage(err), { cause: err });
    }
    return this.settle(share.id, ShareStatus.AVAILABLE, newSize);
  }

  private async get(shareId: string): Promise<Share> {
    const share = await this.deps.shares.get(shareId);
    if (!share) throw new NotFoundError(`Share ${shareId} could not be found.`, { shareId });
    return share;
  }

  /** The share's type; one deleted since is no limit, as Manila's provision filter takes none. */
  private async typeOf(share: Share): Promise<ShareType | null> {
    try {
      return await this.deps.shareTypes.get(activeInstance(share).share_type_id);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  /** A driver that cannot resize refuses before anything changes (Manila's "operation not supported"). */
  private resizingDriver(host: string, method: 'extendInstance' | 'shrinkInstance', what: string): ShareDriver {
    const driver = this.deps.drivers.forHost(host);
    if (typeof driver[method] !== 'function') throw new InvalidRequestError(`${what} share operation not supported.`);
    return driver;
  }

  /** The scheduler's extend filters (CapacityFilter): the pool must have room for the increase. */
  private async checkCapacity(share: Share, host: string, increaseGb: number): Promise<void> {
    const caps = (await this.deps.pools.get(host)).capabilities;
    const usable = caps.free_capacity_gb - (caps.total_capacity_gb * caps.reserved_percentage) / 100;
    if (usable < increaseGb) {
      throw new InvalidRequestError(
        `No valid host was found. Cannot place share ${share.id} on ${host}, the last executed filter was CapacityFilter.`,
      );
    }
  }

  /** From `from` to `to`, only if nothing else changed the status or took the share meanwhile. */
  private setStatus(share: Share, from: ShareStatus, to: ShareStatus, action: string): Promise<Share> {
    return updateVersioned(this.deps.shares, share.id, (s) => {
      if (s.status !== from) {
        throw new InvalidShareStateError(`Invalid share: Share ${s.id} status changed to ${s.status} before the ${action} began..`);
      }
      assertNotBusy(s);
      return withStatus(s, to, this.deps.clock.now().toISOString());
    }, { shareId: share.id }, 'Share');
  }

  private settle(shareId: string, status: ShareStatus, size?: number): Promise<Share> {
    return updateVersioned(this.deps.shares, shareId, (s) => ({
      ...withStatus(s, status, this.deps.clock.now().toISOString()),
      ...(size !== undefined ? { size } : {}),
    }), { shareId }, 'Share');
  }
}

function withStatus(share: Share, status: ShareStatus, at: string): Share {
  return {
    ...share,
    status,
    instances: share.instances.map((i) => (i.id === share.active_instance_id ? { ...i, status } : i)),
    updated_at: at,
  };
}

/** Manila's _check_is_share_busy (ShareBusyException, 400): a migration holds the share. */
function assertNotBusy(share: Share): void {
  if (share.migration_id === null && !isBusy(share.task_state)) return;
  throw new InvalidShareStateError(
    `Share is busy with an active task: Share ${share.id} is busy as part of an active task: ${share.task_state ?? 'migration'}..`,
  );
}

/**
 * manila/share/share_types.py provision_filter_on_size: the type's `provisioning:min_share_size` for
 * shrink, `provisioning:max_share_size` for a member's extend, `provisioning:max_share_extend_size` for an
 * admin's.
 */
export function provisionFilterOnSize(type: ShareType | null, size: number, operation: 'shrink' | 'extend' | 'admin-extend'): void {
  if (!type) return;
  const specs = type.extra_specs;
  const limit = (key: string): number | undefined => {
    const value = specs[key];
    return value ? Number.parseInt(value, 10) : undefined;
  };
  const min = limit('provisioning:min_share_size');
  if (operation === 'shrink' && min !== undefined && size < min) {
    throw new InvalidRequestError(
      `Invalid input received: Specified share size of '${size}' is less than the minimum required size of '${specs['provisioning:min_share_size']}' for share type '${type.name}'..`,
    );
  }
  const max = limit('provisioning:max_share_size');
  if (operation === 'extend' && max !== undefined && size > max) {
    throw new InvalidRequestError(
      `Invalid input received: Specified share size of '${size}' is greater than the maximum allowable size of '${specs['provisioning:max_share_size']}' for share type '${type.name}'..`,
    );
  }
  const maxExtend = limit('provisioning:max_share_extend_size');
  if (operation === 'admin-extend' && maxExtend !== undefined && size > maxExtend) {
    throw new InvalidRequestError(
      `Invalid input received: Specified share size of '${size}' is greater than the maximum allowable extend size of '${specs['provisioning:max_share_extend_size']}' for share type '${type.name}'..`,
    );
  }
}
