import { QUOTA_KEYS } from '../../core/quotas/quota-model.ts';
import { REQUEST_BODY_LIMITS, FIELD_LIMITS } from '../request-limits.ts';
import { DEFAULT_MAX_COPY_TASKS, MAX_PARTITIONS } from '../../core/partitions/partition-records.ts';
import { MAX_COMPLETION_WAIT_SECONDS, MIN_REFRESH_INTERVAL_SECONDS } from '../../core/workflow.ts';

/**
 * The JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the description's components: Manila's fault
 * body and the request bodies, with the limits the API enforces (request-limits.ts) written into them.
 */

type Schema = Record<string, unknown>;

const displayField: Schema = { type: ['string', 'null'], maxLength: FIELD_LIMITS.displayField };
const text: Schema = { type: ['string', 'null'], maxLength: FIELD_LIMITS.string };
const reference: Schema = { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.reference };
/** oslo's bool_from_string spellings, or a JSON boolean. */
const flag: Schema = { type: ['boolean', 'string'], examples: [true, 'False'] };

const metadata: Schema = {
  type: ['object', 'null'],
  description: 'Manila check_metadata_properties: keys of 1 to 255 characters, values of 1 to 1023.',
  maxProperties: REQUEST_BODY_LIMITS.properties,
  propertyNames: { minLength: 1, maxLength: FIELD_LIMITS.metadataKey },
  additionalProperties: { type: ['string', 'number', 'boolean'], minLength: 1, maxLength: FIELD_LIMITS.metadataValue },
};

const extraSpecs: Schema = {
  type: 'object',
  description: 'Share type extra specs: keys and values of 1 to 255 characters.',
  maxProperties: REQUEST_BODY_LIMITS.properties,
  propertyNames: { minLength: 1, maxLength: FIELD_LIMITS.extraSpec },
  additionalProperties: { type: ['string', 'number', 'boolean'], minLength: 1, maxLength: FIELD_LIMITS.extraSpec },
};

/** An object with one required member. */
const wrapped = (name: string, inner: Schema): Schema => ({ type: 'object', required: [name], properties: { [name]: inner }, additionalProperties: false });

const migrationOptions: Record<string, Schema> = {
  host: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.string, description: 'The destination pool, host@backend#pool.' },
  preserve_metadata: flag,
  writable: flag,
  nondisruptive: flag,
  preserve_snapshots: flag,
  force_host_assisted_migration: flag,
  new_share_type_id: { ...text, description: 'Retype while migrating.' },
  new_share_network_id: text,
};

const ACTIONS: Record<string, Schema> = {
  allow_access: {
    type: 'object',
    required: ['access_type', 'access_to'],
    properties: {
      access_type: { enum: ['ip', 'user', 'cert', 'cephx'] },
      access_to: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.string },
      access_level: { enum: ['rw', 'ro'] },
      metadata,
    },
  },
  deny_access: { type: 'object', required: ['access_id'], properties: { access_id: reference } },
  access_list: { type: 'null' },
  migration_start: {
    type: 'object',
    required: ['host', 'preserve_metadata', 'writable', 'nondisruptive', 'preserve_snapshots'],
    properties: {
      ...migrationOptions,
      auto_complete: flag,
      refresh_interval: { type: ['integer', 'null'], minimum: MIN_REFRESH_INTERVAL_SECONDS, maximum: MAX_COMPLETION_WAIT_SECONDS, description: 'Our extension: refresh the bulk copy every N seconds until migration_complete.' },
      partitions: { type: ['integer', 'null'], minimum: 1, maximum: MAX_PARTITIONS, description: 'Our extension: host-assisted copy by this many copy tasks, each a partition of the tree (default 1).' },
      max_copy_tasks: { type: ['integer', 'null'], minimum: 1, maximum: MAX_PARTITIONS, description: `Our extension: how many of those copy tasks run at once (default min(partitions, ${DEFAULT_MAX_COPY_TASKS})).` },
      copy_task_cpu: { enum: [256, 512, 1024, 2048, 4096, 8192, 16384, null], description: 'Our extension: the copy tasks\' CPU units on Fargate (default the stack\'s, 1024).' },
      copy_task_memory: { type: ['integer', 'null'], minimum: 512, maximum: 122880, description: 'Our extension: the copy tasks\' memory in MiB, valid for copy_task_cpu on Fargate (default twice copy_task_cpu).' },
      copy_concurrency: { type: ['integer', 'null'], minimum: 1, maximum: 1024, description: 'Our extension: the copy engine\'s operations in flight (default 8 on network file systems).' },
    },
  },
  migration_complete: { type: 'null' },
  migration_cancel: { type: 'null' },
  migration_get_progress: { type: 'null' },
  reset_task_state: { type: 'object', required: ['task_state'], properties: { task_state: { type: ['string', 'null'] } } },
  reset_status: {
    type: 'object',
    required: ['status'],
    description: 'Admin only; `os-reset_status` below 2.7.',
    properties: { status: { enum: ['creating', 'available', 'deleting', 'error', 'error_deleting', 'migrating', 'migrating_to', 'server_migrating'] } },
  },
  force_delete: { type: 'null', description: 'Admin only; `os-force_delete` below 2.7.' },
  extend: {
    type: 'object',
    required: ['new_size'],
    description: '`os-extend` below 2.7; `force` (admin, past the pool capacity check) from 2.64. 202 once the share has its new size.',
    properties: { new_size: { type: ['integer', 'string'], minimum: 1, maximum: FIELD_LIMITS.integer }, force: flag },
  },
  shrink: {
    type: 'object',
    required: ['new_size'],
    description: '`os-shrink` below 2.7. Refused (400) below the data the share holds. 202 once the share has its new size.',
    properties: { new_size: { type: ['integer', 'string'], minimum: 1, maximum: FIELD_LIMITS.integer } },
  },
  retype: {
    type: 'object',
    required: ['new_share_type'],
    description: 'Our extension: change the share type, migrating where the new type needs another pool.',
    properties: { new_share_type: reference, migration_policy: { enum: ['on-demand', 'never'] }, auto_complete: flag },
  },
};

export const SCHEMAS: Record<string, Schema> = {
  Fault: {
    type: 'object',
    description:
      "Manila's fault body (manila/api/openstack/wsgi.py Fault): one member named by the status " +
      '(badRequest, unauthorized, forbidden, itemNotFound, badMethod, conflictingRequest, overLimit, computeFault...).',
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'integer', minimum: 400, maximum: 599 }, message: { type: 'string' } },
    },
    examples: [{ itemNotFound: { code: 404, message: 'Share 6b1b… could not be found.' } }],
  },
  ShareCreate: wrapped('share', {
    type: 'object',
    required: ['share_proto'],
    properties: {
      share_proto: { enum: ['NFS', 'CIFS', 'nfs', 'cifs'] },
      size: {
        type: ['integer', 'string', 'null'], minimum: 1, maximum: FIELD_LIMITS.integer, pattern: '^\\s*[+-]?\\d+\\s*$',
        description: "GiB; required unless snapshot_id names a snapshot (then at least the snapshot's, which it is when left out).",
      },
      snapshot_id: { type: ['string', 'null'], maxLength: FIELD_LIMITS.reference, description: "Create the share from this snapshot: its data, on its parent share's pool, of the parent's type." },
      name: displayField,
      description: displayField,
      share_type: text,
      volume_type: text,
      availability_zone: text,
      share_network_id: text,
      is_public: flag,
      metadata,
      scheduler_hints: { type: ['object', 'null'], properties: { only_host: text } },
    },
  }),
  ShareAction: {
    type: 'object',
    description: 'Exactly one member, naming the action (2.0–2.6 spell the access actions os-allow_access, os-deny_access, os-access_list).',
    minProperties: 1,
    maxProperties: 1,
    properties: ACTIONS,
  },
  ShareTypeCreate: {
    type: 'object',
    description: '`share_type`, or the old `volume_type`.',
    minProperties: 1,
    properties: Object.fromEntries(['share_type', 'volume_type'].map((name) => [name, {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: FIELD_LIMITS.displayField },
        description: displayField,
        extra_specs: extraSpecs,
        'share_type_access:is_public': flag,
        'os-share-type-access:is_public': flag,
      },
    }])),
  },
  ShareTypeUpdate: {
    type: 'object',
    description: '`share_type`, or the old `volume_type`: name, description and visibility, at least one.',
    minProperties: 1,
    properties: Object.fromEntries(['share_type', 'volume_type'].map((name) => [name, {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        description: { type: ['string', 'null'], maxLength: 255 },
        'share_type_access:is_public': flag,
      },
    }])),
  },
  ShareTypeAction: {
    type: 'object',
    description: "Exactly one member: a private type's project access, admin only (any project id: ids here need not be UUIDs).",
    minProperties: 1,
    maxProperties: 1,
    properties: Object.fromEntries(['addProjectAccess', 'removeProjectAccess'].map((name) => [name, {
      type: 'object',
      required: ['project'],
      properties: { project: reference },
    }])),
  },
  QuotaSetUpdate: wrapped('quota_set', {
    type: 'object',
    description: 'Limits to set (-1 unlimited), at least one; `force` sets a limit below what is used. share_groups and share_group_snapshots from 2.40, share_replicas and replica_gigabytes from 2.53, per_share_gigabytes from 2.62.',
    properties: {
      ...Object.fromEntries(QUOTA_KEYS.map((key) => [key, { type: ['integer', 'string', 'null'], minimum: -1, maximum: FIELD_LIMITS.integer }])),
      force: flag,
      tenant_id: text,
      id: text,
      share_type: text,
    },
  }),
  ExtraSpecsSet: wrapped('extra_specs', { ...extraSpecs, minProperties: 1 }),
  SnapshotCreate: wrapped('snapshot', {
    type: 'object',
    required: ['share_id'],
    properties: { share_id: reference, name: displayField, description: displayField, display_name: displayField, display_description: displayField, force: flag },
  }),
  ShareNetworkCreate: wrapped('share_network', {
    type: 'object',
    properties: { name: displayField, description: displayField, neutron_net_id: text, neutron_subnet_id: text },
  }),
  ShareNetworkAction: {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    properties: Object.fromEntries(['add_security_service', 'remove_security_service'].map((name) => [name, {
      type: 'object', required: ['security_service_id'], properties: { security_service_id: reference },
    }])),
  },
  SecurityServiceCreate: wrapped('security_service', {
    type: 'object',
    required: ['type'],
    properties: Object.fromEntries([
      ['type', { type: 'string', maxLength: FIELD_LIMITS.string }],
      ['name', displayField],
      ['description', displayField],
      ...['dns_ip', 'server', 'domain', 'user', 'password', 'ou'].map((name) => [name, text]),
    ]),
  }),
  MigrationScheduleCreate: wrapped('migration_schedule', {
    type: 'object',
    description: 'Our extension: a migration_start at a time (`at`) or on a cron, within a window.',
    required: ['share_id', 'host', 'preserve_metadata', 'writable', 'nondisruptive', 'preserve_snapshots'],
    properties: {
      share_id: reference,
      ...migrationOptions,
      auto_complete: flag,
      at: { ...text, description: 'An ISO 8601 time.' },
      cron: { ...text, description: 'A cron expression, as EventBridge Scheduler reads it.' },
      timezone: text,
      window_minutes: { type: ['integer', 'string', 'null'] },
    },
    additionalProperties: false,
  }),
  /** What a successful response carries: a JSON object, described by Manila's API reference. */
  Resource: { type: 'object', description: "The resource view, as Manila's API reference describes it for the microversion asked for." },
};
