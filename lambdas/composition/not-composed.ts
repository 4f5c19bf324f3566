/**
 * What a function was not composed with fails loudly when called: each Lambda function is composed with
 * only the adapters its code path uses (and its role granted only what they send), so a call to anything
 * else is a wiring bug to fix, never something to do silently.
 */

/** A port (or a member of one) the function was not composed with was called. */
export class PortNotComposedError extends Error {
  override readonly name = 'PortNotComposedError';
  readonly functionName: string;
  readonly port: string;

  constructor(functionName: string, port: string, member: string, options?: { cause?: unknown }) {
    super(
      `The ${functionName} function called ${port}.${member}, but it is composed without it (its code path was not expected to need it): ` +
        'compose it in the function\'s handler (lambdas/handlers) and declare what it sends in lambdas/composition/function-permissions.ts',
      options,
    );
    this.functionName = functionName;
    this.port = port;
  }
}

/**
 * `port` with only the members of `composed`: any other member, when called, throws PortNotComposedError
 * naming the function, the port and the member. `notComposed(fn, port)` is the same with no member.
 */
export function composedOnly<T extends object>(functionName: string, port: string, composed: Partial<T>): T {
  return new Proxy(composed, {
    get(target, member) {
      if (member in target) {
        // Bound to the adapter itself, so its methods see their own (private) fields, not the proxy.
        const value = Reflect.get(target, member) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      // Not a thenable, and nothing for inspection: only named members refuse.
      if (typeof member === 'symbol' || member === 'then') return undefined;
      return () => {
        throw new PortNotComposedError(functionName, port, member);
      };
    },
  }) as T;
}

/** A port the function was not composed with at all: every member throws PortNotComposedError when called. */
export function notComposed<T extends object>(functionName: string, port: string): T {
  return composedOnly<T>(functionName, port, {});
}
