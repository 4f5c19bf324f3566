import { badRequest, type HttpError } from './http-error.ts';
import { REQUEST_BODY_LIMITS } from './request-limits.ts';

/**
 * The shape checks API Gateway's request body model makes on AWS (REQUEST_BODY_LIMITS), made by the
 * API function itself, without recursion: nesting is counted on the text before it is parsed, so no
 * parser or walker ever descends deeper than the limit allows.
 */

/** Objects and arrays may nest this deep, counting the top-level one. */
export const MAX_NESTING = REQUEST_BODY_LIMITS.depth + 1;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Refuses JSON text whose objects and arrays nest deeper than MAX_NESTING. Brackets inside strings do
 * not count; text that is not JSON at all is left for JSON.parse to refuse.
 */
export function checkNesting(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > MAX_NESTING) throw invalidBody(`objects and arrays nest deeper than ${MAX_NESTING} levels`);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
}

/**
 * Refuses a parsed body with more keys, items or characters than REQUEST_BODY_LIMITS allows. Walks
 * with an explicit stack; checkNesting has already bounded its depth.
 */
export function checkShape(body: unknown): void {
  const limits = REQUEST_BODY_LIMITS;
  if (isPlainObject(body) && Object.keys(body).length > limits.topLevelKeys) {
    throw invalidBody(`the top-level object has more than ${limits.topLevelKeys} keys`);
  }
  const pending: unknown[] = [body];
  let first = true;
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (value.length > limits.stringLength && codePoints(value) > limits.stringLength) {
        throw invalidBody(`a string is longer than ${limits.stringLength} characters`);
      }
    } else if (Array.isArray(value)) {
      if (value.length > limits.items) throw invalidBody(`an array has more than ${limits.items} items`);
      pending.push(...value);
    } else if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (!first && keys.length > limits.properties) throw invalidBody(`an object has more than ${limits.properties} properties`);
      for (const key of keys) pending.push(value[key]);
    }
    first = false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON Schema's maxLength counts characters (code points), not UTF-16 units. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function invalidBody(reason: string): HttpError {
  return badRequest(`Invalid request body: ${reason}.`);
}
