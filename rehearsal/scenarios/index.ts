/** Every scenario of the rehearsal, in the order `npm run rehearse` runs them. */
import { accessPointMigration } from './access-point-migration.ts';
import { cancelMigration } from './cancel-migration.ts';
import { persistentRunTaskFailure, transientRunTaskFailure } from './copy-task-faults.ts';
import { fileSystemHostAssisted, fileSystemReplication } from './file-system-migration.ts';
import { poolListing } from './pool-listing.ts';
import type { Scenario } from './scenario.ts';
import { scheduledMigration } from './scheduled-migration.ts';

export const SCENARIOS: readonly Scenario[] = [
  poolListing,
  accessPointMigration,
  fileSystemHostAssisted,
  fileSystemReplication,
  cancelMigration,
  scheduledMigration,
  transientRunTaskFailure,
  persistentRunTaskFailure,
];
