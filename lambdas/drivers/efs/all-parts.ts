/**
 * Every part of the EFS driver, for a process that may call any driver method (the API function, the local
 * runtime, tests). Importing this module puts every EFS command into the bundle: a function that calls
 * only some methods should give its driver only their parts (EFS_METHOD_PARTS in efs-actions.ts).
 */
import type { EfsDriverParts } from './parts.ts';
import { efsAccessRules } from './parts/access-rules.ts';
import { efsInstances } from './parts/instances.ts';
import { efsPools } from './parts/pools.ts';
import { efsReplication } from './parts/replication.ts';
import { efsSwitchover } from './parts/switchover.ts';

export const allEfsParts: Required<EfsDriverParts> = {
  pools: efsPools,
  instances: efsInstances,
  accessRules: efsAccessRules,
  replication: efsReplication,
  switchover: efsSwitchover,
};
