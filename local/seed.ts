import { NotFoundError } from '../lambdas/core/errors.ts';
import type { ShareTypeService } from '../lambdas/core/services.ts';
import { DEFAULT_SHARE_TYPE_NAME } from '../lambdas/core/share-types/share-type-service.ts';

/** A fresh install has the share type `default` (DHSS false), so a share can be created at once. */
export async function ensureDefaultShareType(shareTypes: ShareTypeService): Promise<void> {
  try {
    await shareTypes.getDefault();
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    await shareTypes.create({
      name: DEFAULT_SHARE_TYPE_NAME,
      description: 'Created by the local runtime',
      is_public: true,
      extra_specs: { driver_handles_share_servers: 'False' },
    });
  }
}
