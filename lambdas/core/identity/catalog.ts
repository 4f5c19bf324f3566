/** The region every catalog entry names (Keystone's and devstack's default). */
export const REGION = 'RegionOne';

const INTERFACES = ['public', 'internal', 'admin'] as const;

export interface CatalogEntry {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly endpoints: readonly { readonly id: string; readonly interface: string; readonly region: string; readonly region_id: string; readonly url: string }[];
}

/**
 * The service catalog of a project-scoped token. The share API is this runtime's `/v2/<project id>`,
 * as Keystone fills Manila's `.../v2/%(project_id)s` endpoint template, so the URL's project check holds
 * for every path; `share` (Manila's v1 type) points there too, for clients that still look it up.
 * `baseUrl` is how the client reached this runtime (scheme, host and port, no trailing slash).
 */
export function serviceCatalog(baseUrl: string, projectId: string): CatalogEntry[] {
  const share = `${baseUrl}/v2/${projectId}`;
  return [
    entry('identity', 'keystone', `${baseUrl}/identity`),
    entry('sharev2', 'manilav2', share),
    entry('share', 'manila', share),
  ];
}

function entry(type: string, name: string, url: string): CatalogEntry {
  return {
    id: `${type}-service`,
    type,
    name,
    endpoints: INTERFACES.map((iface) => ({ id: `${type}-${iface}`, interface: iface, region: REGION, region_id: REGION, url })),
  };
}
