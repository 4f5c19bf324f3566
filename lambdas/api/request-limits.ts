/**
 * How much one request may ask of the service, in one place: the API function enforces these itself
 * (the embedded default has no API Gateway in front), and the CDK app builds API Gateway's request
 * body model from the same numbers (cdk/lib/manila-api.ts), so a body refused at home is refused on
 * AWS and the other way round.
 */

/**
 * The shape a request body may have. Every Manila request body is one object naming the entity or
 * action (`{"share": {...}}`, `{"migration_start": {...}}`), a few levels deep.
 */
export const REQUEST_BODY_LIMITS = {
  /** Keys of the top-level object. */
  topLevelKeys: 4,
  /** Levels of objects and arrays under the top-level object. */
  depth: 5,
  /** Properties of any nested object. */
  properties: 64,
  /** Items of any array. */
  items: 256,
  /** Characters of any string. */
  stringLength: 16_384,
} as const;

/**
 * The largest request body, in bytes: oslo.middleware's RequestBodySizeLimiter default
 * (`max_request_body_size`), which Manila's API pipeline runs as its `sizelimit` filter. Larger bodies
 * are Manila's 413 "Request is too large.".
 */
export const MAX_REQUEST_BODY_BYTES = 114_688;

/**
 * Manila's field sizes (manila/common/constants.py DB_DISPLAY_FIELDS_MAX_LENGTH, manila/api/common.py
 * check_metadata_properties, the db models' String(255)/String(1023) columns). They also keep every
 * value far below DynamoDB's limits: 2,048 bytes for a partition key, 1,024 for a sort key, 400 KB for
 * an item.
 */
export const FIELD_LIMITS = {
  /** name and description of shares, snapshots, share networks and the like. */
  displayField: 255,
  /** Any other string field: ids, names, hosts, the string columns of Manila's models. */
  string: 255,
  /**
   * Ids and names in a path, query or body reference. Manila's ids are 36-character UUIDs and its names
   * at most 255 characters, so a longer reference names nothing; it is answered as not found without
   * a lookup (it could exceed DynamoDB's key size).
   */
  reference: 255,
  metadataKey: 255,
  metadataValue: 1023,
  /** Share type extra specs: key and value are String(255) in Manila. */
  extraSpec: 255,
  /** Manila's DB_MAX_INT, the largest size (GiB) or count it stores. */
  integer: 0x7fffffff,
} as const;
