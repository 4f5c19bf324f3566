import { badRequest } from './http-error.ts';
import { quoteValue } from './quote.ts';
import { FIELD_LIMITS } from './request-limits.ts';

/**
 * Request-body checks with Manila's wording (manila/utils.py, manila/api/common.py and oslo's
 * strutils), so clients and operators see the messages they know. Every string a request hands on is
 * bounded here (FIELD_LIMITS): nothing longer reaches the store.
 */

const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** oslo_utils.strutils.bool_from_string: booleans as they are, strings and numbers by their spelling. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim().toLowerCase();
  if (TRUE_STRINGS.has(text)) return true;
  if (FALSE_STRINGS.has(text)) return false;
  return undefined;
}

/** Non-strict: anything unrecognised is `fallback`. */
export function booleanOr(value: unknown, fallback: boolean): boolean {
  return parseBoolean(value) ?? fallback;
}

/** manila.utils.get_bool_from_api_params (strict): a missing key takes `fallback`. */
export function booleanParam(params: Readonly<Record<string, unknown>>, key: string, fallback = false): boolean {
  const value = Object.hasOwn(params, key) ? params[key] : fallback;
  const parsed = parseBoolean(value);
  if (parsed === undefined) {
    throw badRequest(`Invalid value ${pythonStr(value)} for ${key}. Expecting a boolean.`);
  }
  return parsed;
}

/** manila.utils.check_params_exist. */
export function requireParams(params: Readonly<Record<string, unknown>>, keys: readonly string[]): void {
  if (keys.some((k) => !Object.hasOwn(params, k))) {
    throw badRequest(`Must specify all mandatory parameters: [${keys.map((k) => `'${k}'`).join(', ')}]`);
  }
}

/** `body[key]` when it is a JSON object (Manila's is_valid_body), else undefined. */
export function objectEntity(body: unknown, key: string): Record<string, unknown> | undefined {
  if (!isObject(body) || !Object.hasOwn(body, key)) return undefined;
  const entity = body[key];
  return isObject(entity) ? entity : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Optional string field: absent or null → undefined; anything but a string → 400; longer than `max`
 * characters → Manila's InvalidInput 400 (its columns are String(255)).
 */
export function optionalString(params: Readonly<Record<string, unknown>>, key: string, max: number = FIELD_LIMITS.string): string | undefined {
  const value = Object.hasOwn(params, key) ? params[key] : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`Invalid value ${pythonStr(value)} for ${key}. Expecting a string.`);
  checkLength(value, key, max);
  return value;
}

/** A mandatory string field: a string of 1 to `max` characters, else 400 with `message`. */
export function requiredString(params: Readonly<Record<string, unknown>>, key: string, message: string, max: number = FIELD_LIMITS.string): string {
  const value = Object.hasOwn(params, key) ? params[key] : undefined;
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(message);
  checkLength(value, key, max);
  return value;
}

/** manila.api.common.check_display_field_length: name and description are at most 255 characters. */
export function displayField(params: Readonly<Record<string, unknown>>, key: string): string | undefined {
  return optionalString(params, key, FIELD_LIMITS.displayField);
}

/** Manila's InvalidInput for a string past its column's size. */
export function checkLength(value: string, name: string, max: number): void {
  if (characters(value) > max) throw badRequest(`Invalid input received: ${name} can only be ${max} characters long.`);
}

/** A whole number within Manila's DB_MAX_INT, as a number or its digits; undefined when it is not one. */
export function asInteger(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) n = value;
  else if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) n = Number(value);
  return n !== undefined && Math.abs(n) <= FIELD_LIMITS.integer ? n : undefined;
}

/** How a string map's values are bounded: Manila's metadata, or its share type extra specs. */
export type StringMapKind = 'metadata' | 'extra_specs';

/**
 * A string map (metadata, extra specs); booleans and numbers are written as Python would print them.
 * Metadata follows manila.api.common.check_metadata_properties (key 1–255, value 1–1023 characters),
 * extra specs the share_types_extra_specs controller (key and value 1–255).
 */
export function stringMap(value: unknown, what: string, kind: StringMapKind = 'metadata'): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw badRequest(`Invalid ${what}: expected an object of strings.`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    let text: string;
    if (typeof item === 'string') text = item;
    else if (typeof item === 'boolean' || typeof item === 'number') text = pythonStr(item);
    else throw badRequest(`Invalid ${what}: value of ${quoteValue(key)} must be a string.`);
    if (kind === 'metadata') checkMetadataProperty(key, text);
    else checkExtraSpec(key, text);
    out[key] = text;
  }
  return out;
}

/**
 * Keys the store cannot keep: the DynamoDB document client builds its maps by assignment, so a key named
 * `__proto__` would vanish (or fail the write). Refused, rather than lost in silence.
 */
const UNSTORABLE_KEYS = new Set(['__proto__']);

function checkMetadataProperty(key: string, value: string): void {
  if (key === '') throw badRequest('Metadata property key is blank.');
  if (UNSTORABLE_KEYS.has(key)) throw badRequest(`Metadata property key ${key} is reserved.`);
  if (characters(key) > FIELD_LIMITS.metadataKey) throw badRequest(`Metadata property key is greater than ${FIELD_LIMITS.metadataKey} characters.`);
  if (value === '') throw badRequest('Metadata property value is blank.');
  if (characters(value) > FIELD_LIMITS.metadataValue) throw badRequest(`Metadata property value is greater than ${FIELD_LIMITS.metadataValue} characters.`);
}

function checkExtraSpec(key: string, value: string): void {
  const valid = (s: string) => s.length > 0 && characters(s) <= FIELD_LIMITS.extraSpec && !UNSTORABLE_KEYS.has(s);
  if (!valid(key) || !valid(value)) throw badRequest(`Invalid extra_spec: ${quoteValue(key)}: ${quoteValue(value)}`);
}

/** How Python's str() prints a JSON value, for messages that quote it: bounded, never recursive. */
export function pythonStr(value: unknown): string {
  return quoteValue(value);
}

/** Characters as Manila (Python's len) counts them: code points, not UTF-16 units. */
function characters(text: string): number {
  if (text.length <= 1) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
}
