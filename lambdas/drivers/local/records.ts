import type { AccessRule, ShareProto } from '../../core/model.ts';
import type { CopyMount } from '../driver.ts';

/** What the local driver keeps beside an instance's data (the layout: local-driver.ts). */

/** Names inside an instance folder. */
export const LocalInstanceFiles = {
  DATA: 'data',
  INSTANCE: 'instance.json',
  ACCESS_RULES: 'access-rules.json',
  ORIGINAL_MODES: 'readonly-modes.json',
} as const;

/**
 * Where the copy task finds an instance's data. `originalModesFile` exists only while the instance is
 * read-only; for every data-relative path it lists, the copy must take that mode instead of the one it
 * reads from the (write-stripped) source, so the destination ends with the source's real modes
 * (`read-only.ts`: `readOriginalModes`, `effectiveMode`).
 */
export interface LocalCopyMount extends CopyMount {
  readonly originalModesFile: string;
}

/** `instance.json`. */
export interface LocalInstanceRecord {
  readonly version: 1;
  readonly instance_id: string;
  readonly share_id: string;
  readonly pool: string;
  readonly size_gb: number;
  readonly share_proto: ShareProto;
}

/** `access-rules.json`. */
export interface LocalAccessRulesRecord {
  readonly version: 1;
  readonly read_only: boolean;
  readonly rules: readonly LocalAppliedRule[];
}

export interface LocalAppliedRule {
  readonly id: string;
  readonly access_type: AccessRule['access_type'];
  readonly access_to: string;
  /** What the rule asks for. */
  readonly access_level: AccessRule['access_level'];
  /** What is in force: `ro` while the instance is read-only. */
  readonly effective_level: AccessRule['access_level'];
}
