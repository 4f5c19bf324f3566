import { HttpError } from './http-error.ts';

/**
 * Manila's API microversions (manila/api/openstack/api_version_request.py): "X.Y", compared as a
 * (major, minor) pair. Requests without the header get the minimum, as Manila does.
 */
export interface ApiVersion {
  readonly major: number;
  readonly minor: number;
}

export const MIN_API_VERSION = '2.0';
/** The newest version python3-manilaclient speaks (manilaclient.api_versions.MAX_VERSION). */
export const MAX_API_VERSION = '2.72';

export const API_VERSION_HEADER = 'X-OpenStack-Manila-API-Version';
export const EXPERIMENTAL_HEADER = 'X-OpenStack-Manila-API-Experimental';

const VERSION_PATTERN = /^([1-9]\d*)\.([1-9]\d*|0)$/;

export function parseApiVersion(value: string): ApiVersion {
  const match = VERSION_PATTERN.exec(value.trim());
  if (!match) {
    throw new HttpError(400, `API Version String ${value} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export const MIN_VERSION: ApiVersion = parseApiVersion(MIN_API_VERSION);
export const MAX_VERSION: ApiVersion = parseApiVersion(MAX_API_VERSION);

export function compareVersions(a: ApiVersion, b: ApiVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

export function formatVersion(v: ApiVersion): string {
  return `${v.major}.${v.minor}`;
}

/** `version >= min` (and `<= max` when given); bounds are "X.Y" strings. */
export function versionMatches(version: ApiVersion, min: string, max?: string): boolean {
  if (compareVersions(version, parseApiVersion(min)) < 0) return false;
  return max === undefined || compareVersions(version, parseApiVersion(max)) <= 0;
}

/**
 * The version a request asks for: absent → 2.0, "latest" → the maximum, out of range → Manila's 406
 * (InvalidGlobalAPIVersion), malformed → 400 (InvalidAPIVersionString).
 */
export function negotiateVersion(header: string | undefined): ApiVersion {
  if (header === undefined || header.trim() === '') return MIN_VERSION;
  if (header.trim().toLowerCase() === 'latest') return MAX_VERSION;
  const requested = parseApiVersion(header);
  if (compareVersions(requested, MIN_VERSION) < 0 || compareVersions(requested, MAX_VERSION) > 0) {
    throw new HttpError(
      406,
      `Version ${formatVersion(requested)} is not supported by the API. Minimum is ${MIN_API_VERSION} and maximum is ${MAX_API_VERSION}.`,
      { requestedVersion: requested },
    );
  }
  return requested;
}
