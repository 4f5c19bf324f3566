import { MAX_API_VERSION, MIN_API_VERSION } from '../api-version.ts';

/** manila/api/versions.py: the v2.0 API and the microversion range it serves. */
export function versionView(baseUrl: string): Record<string, unknown> {
  return {
    id: 'v2.0',
    status: 'CURRENT',
    version: MAX_API_VERSION,
    min_version: MIN_API_VERSION,
    updated: '2015-08-27T11:33:21Z',
    links: [
      { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
      { rel: 'self', href: `${baseUrl.replace(/\/+$/, '')}/v2/` },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.share+json;version=1' }],
  };
}

export function versionsView(baseUrl: string): { versions: Record<string, unknown>[] } {
  return { versions: [versionView(baseUrl)] };
}
