/**
 * Manila's quotas (manila/quota.py): the resources, their defaults, and a project's own limits as they are
 * stored (one catalog item per project, keyed by its id). -1 is unlimited, as in Manila.
 */

/** Every resource Manila's quota sets name, in Manila's view order. */
export const QUOTA_KEYS = [
  'shares', 'gigabytes', 'snapshots', 'snapshot_gigabytes', 'share_networks',
  'share_groups', 'share_group_snapshots', 'share_replicas', 'replica_gigabytes', 'per_share_gigabytes',
] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

/** What a share type's quotas may constrain (Manila refuses share_networks and the group keys for a type). */
export const SHARE_TYPE_QUOTA_KEYS: readonly QuotaKey[] = [
  'shares', 'gigabytes', 'snapshots', 'snapshot_gigabytes', 'share_replicas', 'replica_gigabytes', 'per_share_gigabytes',
];

/** The microversion from which a key is shown and may be set (Manila's quota set view and update). */
export const QUOTA_KEY_MIN_VERSION: Readonly<Partial<Record<QuotaKey, string>>> = {
  share_groups: '2.40',
  share_group_snapshots: '2.40',
  share_replicas: '2.53',
  replica_gigabytes: '2.53',
  per_share_gigabytes: '2.62',
};

export type QuotaLimits = Readonly<Record<QuotaKey, number>>;

/** Manila's own defaults (quota_shares, quota_gigabytes, ...), for an operator who wants them: SMIG_QUOTA_DEFAULTS. */
export const MANILA_QUOTA_DEFAULTS: QuotaLimits = {
  shares: 50, gigabytes: 1000, snapshots: 50, snapshot_gigabytes: 1000, share_networks: 10,
  share_groups: 50, share_group_snapshots: 50, share_replicas: 100, replica_gigabytes: 1000, per_share_gigabytes: -1,
};

/** Unlimited, the default here unless configured (a service that had no quotas keeps working as it did). */
export const UNLIMITED_QUOTAS: QuotaLimits = Object.fromEntries(QUOTA_KEYS.map((key) => [key, -1])) as QuotaLimits;

/** A project's own limits, set by an admin (PUT /quota-sets/{project}): the keys set, for the project and per share type id. */
export interface ProjectQuotaRecord {
  /** The project id. */
  readonly id: string;
  readonly limits: Readonly<Partial<Record<QuotaKey, number>>>;
  readonly share_types?: Readonly<Record<string, Readonly<Partial<Record<QuotaKey, number>>>>>;
}

/** What a project holds of each resource now. */
export type QuotaUsage = Readonly<Record<QuotaKey, number>>;

/** The environment variable that carries the defaults (the local runtime's and the API function's). */
export const QUOTA_DEFAULTS_ENV = 'SMIG_QUOTA_DEFAULTS';

/**
 * The defaults from configuration: a JSON object of quota keys to whole numbers (-1 unlimited) over
 * `base`, e.g. `{"shares": 50, "gigabytes": 1000}`. Throws an Error that says what to write.
 */
export function parseQuotaDefaults(text: string | undefined, base: QuotaLimits = UNLIMITED_QUOTAS, source: string = QUOTA_DEFAULTS_ENV): QuotaLimits {
  if (text === undefined || text.trim() === '') return base;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} must be a JSON object of quota limits, e.g. {"shares": 50, "gigabytes": 1000}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source} must be a JSON object of quota limits, e.g. {"shares": 50, "gigabytes": 1000}`);
  }
  const limits: Record<string, number> = { ...base };
  for (const [key, value] of Object.entries(parsed)) {
    if (!(QUOTA_KEYS as readonly string[]).includes(key)) throw new Error(`${source}: unknown quota ${key}; known: ${QUOTA_KEYS.join(', ')}`);
    if (!Number.isInteger(value) || (value as number) < -1) throw new Error(`${source}: ${key} must be a whole number, -1 (unlimited) or more`);
    limits[key] = value as number;
  }
  return limits as QuotaLimits;
}
