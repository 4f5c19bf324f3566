import { versionMatches, type ApiVersion } from './api-version.ts';
import { HttpError, notFound } from './http-error.ts';
import type { ApiRequest, ApiResponse } from './request.ts';
import { FIELD_LIMITS } from './request-limits.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route {
  readonly method: HttpMethod;
  /** A resource path below the `/v2/{project_id}` prefix, with `{name}` segments: `/shares/{id}`. */
  readonly path: string;
  /** Manila's `@api_version(min, max)`: outside the range the route does not exist (404). */
  readonly minVersion?: string;
  readonly maxVersion?: string;
  readonly handler: (request: ApiRequest) => Promise<ApiResponse>;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
  /** Static segments count: `/types/default` wins over `/types/{id}`. */
  readonly specificity: number;
}

/**
 * Matches a resource path and method to a route: no path → 404 itemNotFound, path but not the method
 * → 405 with Allow, a route outside the request's microversion → 404 (Manila's
 * VersionNotFoundForAPIMethod becomes a plain HTTPNotFound). A path parameter longer than any id or
 * name can be (FIELD_LIMITS.reference) names nothing: 404 without a lookup, which could otherwise pass
 * DynamoDB's key size.
 */
export function createRouter(routes: readonly Route[]): (method: string, resourcePath: string, version: ApiVersion) => RouteMatch {
  const compiled: CompiledRoute[] = routes
    .map((route) => {
      const segments = split(route.path);
      return { route, segments, specificity: segments.filter((s) => !isParam(s)).length };
    })
    .sort((a, b) => b.specificity - a.specificity);

  return (method, resourcePath, version) => {
    const segments = split(resourcePath);
    const matching = compiled
      .map((c) => ({ compiled: c, params: matchSegments(c.segments, segments) }))
      .filter((m): m is { compiled: CompiledRoute; params: Record<string, string> } => m.params !== null);
    if (matching.length === 0) throw notFound();

    const forMethod = matching.filter((m) => m.compiled.route.method === method);
    if (forMethod.length === 0) {
      const allow = [...new Set(matching.map((m) => m.compiled.route.method))].join(', ');
      throw new HttpError(405, `The method ${method} is not allowed for this resource.`, { headers: { Allow: allow } });
    }
    // Only the most specific path counts: `/shares/detail` never falls back to `/shares/{id}`.
    const best = forMethod.filter((m) => m.compiled.specificity === forMethod[0]!.compiled.specificity);
    const inVersion = best.find(({ compiled: { route } }) => versionMatches(version, route.minVersion ?? '2.0', route.maxVersion));
    if (!inVersion) throw notFound();
    if (Object.values(inVersion.params).some((value) => value.length > FIELD_LIMITS.reference)) throw notFound();
    return { route: inVersion.compiled.route, params: inVersion.params };
  };
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function isParam(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (isParam(p)) {
      const decoded = safeDecode(a);
      if (decoded === null) return null;
      params[p.slice(1, -1)] = decoded;
    } else if (p !== a) {
      return null;
    }
  }
  return params;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
