/**
 * Request values quoted in error messages: never longer than a limit, and never by recursion, so a
 * value nested 100,000 deep or a megabyte long costs a message of a few hundred characters.
 */

/** The most characters a quoted value takes in a message. */
export const QUOTE_LIMIT = 255;

const ELLIPSIS = '...';

/**
 * How Python's str() prints a JSON value (Manila's messages interpolate with %s): None, True, False,
 * numbers and strings as they are; arrays and objects as JSON. Cut at `limit` characters with "...".
 */
export function quoteValue(value: unknown, limit: number = QUOTE_LIMIT): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return truncate(value, limit);
  if (typeof value === 'number') return String(value);
  return truncate(boundedJson(value, limit), limit);
}

/** The text itself when short enough, else its first `limit` characters and "...". */
export function truncate(text: string, limit: number = QUOTE_LIMIT): string {
  if (text.length <= limit) return text;
  // Do not cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(limit - 1)) ? limit - 1 : limit;
  return text.slice(0, end) + ELLIPSIS;
}

type Frame =
  | { readonly kind: 'array'; readonly items: readonly unknown[]; index: number }
  | { readonly kind: 'object'; readonly source: Record<string, unknown>; readonly keys: readonly string[]; index: number };

/**
 * JSON.stringify's output up to a little past `limit` characters, with an explicit stack instead of
 * recursion, stopping as soon as the limit is passed.
 */
function boundedJson(value: unknown, limit: number): string {
  let out = '';
  const stack: Frame[] = [];
  const emit = (item: unknown): void => {
    if (Array.isArray(item)) {
      out += '[';
      stack.push({ kind: 'array', items: item, index: 0 });
    } else if (typeof item === 'object' && item !== null) {
      out += '{';
      stack.push({ kind: 'object', source: item as Record<string, unknown>, keys: Object.keys(item), index: 0 });
    } else if (typeof item === 'string') {
      out += JSON.stringify(truncate(item, limit));
    } else {
      // numbers, booleans, null; undefined and functions do not occur in parsed JSON.
      out += JSON.stringify(item) ?? 'null';
    }
  };

  emit(value);
  while (stack.length > 0 && out.length <= limit) {
    const frame = stack[stack.length - 1]!;
    const size = frame.kind === 'array' ? frame.items.length : frame.keys.length;
    if (frame.index >= size) {
      out += frame.kind === 'array' ? ']' : '}';
      stack.pop();
      continue;
    }
    if (frame.index > 0) out += ',';
    if (frame.kind === 'array') {
      emit(frame.items[frame.index++]);
    } else {
      const key = frame.keys[frame.index++]!;
      out += `${JSON.stringify(truncate(key, limit))}:`;
      emit(frame.source[key]);
    }
  }
  return out;
}
