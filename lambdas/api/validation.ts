import { badRequest } from './http-error.ts';

/**
 * Request-body checks with Manila's wording (manila/utils.py and oslo's strutils), so clients and
 * operators see the messages they know.
 */

const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const FALSE_STRINGS = new Set(['0', 'f', 'false', 'off', 'n', 'no']);

/** oslo_utils.strutils.bool_from_string: booleans as they are, strings and numbers by their spelling. */
export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const text = pythonStr(value).trim().toLowerCase();
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
  const value = key in params ? params[key] : fallback;
  const parsed = parseBoolean(value);
  if (parsed === undefined) {
    throw badRequest(`Invalid value ${pythonStr(value)} for ${key}. Expecting a boolean.`);
  }
  return parsed;
}

/** manila.utils.check_params_exist. */
export function requireParams(params: Readonly<Record<string, unknown>>, keys: readonly string[]): void {
  if (keys.some((k) => !(k in params))) {
    throw badRequest(`Must specify all mandatory parameters: [${keys.map((k) => `'${k}'`).join(', ')}]`);
  }
}

/** `body[key]` when it is a JSON object (Manila's is_valid_body), else undefined. */
export function objectEntity(body: unknown, key: string): Record<string, unknown> | undefined {
  if (!isObject(body)) return undefined;
  const entity = body[key];
  return isObject(entity) ? entity : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Optional string field: absent or null → undefined; anything but a string → 400. */
export function optionalString(params: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`Invalid value ${pythonStr(value)} for ${key}. Expecting a string.`);
  return value;
}

/** A string map (metadata, extra specs); booleans and numbers are written as Python would print them. */
export function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw badRequest(`Invalid ${what}: expected an object of strings.`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') out[key] = item;
    else if (typeof item === 'boolean' || typeof item === 'number') out[key] = pythonStr(item);
    else throw badRequest(`Invalid ${what}: value of ${key} must be a string.`);
  }
  return out;
}

/** How Python's str() prints a JSON value, for messages that quote it. */
export function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}
