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
 * The service catalog of a project-scoped token, as Manila's devstack plugin registers the share API
 * since 2.60 made the project id optional in URLs: `sharev2` and its alias `shared-file-system`
 * (openstacksdk's service type) at the bare `/v2`, where the token's project applies, and
 * `sharev2_legacy` at `/v2/<project id>` for clients that need it in the URL; `share` (Manila's v1
 * type) points there too, for clients that still look it up. `baseUrl` is how the client reached this
 * runtime (scheme, host and port, no trailing slash).
 */
export function serviceCatalog(baseUrl: string, projectId: string): CatalogEntry[] {
  const bare = `${baseUrl}/v2`;
  const withProject = `${baseUrl}/v2/${projectId}`;
  return [
    entry('identity', 'keystone', `${baseUrl}/identity`),
    entry('sharev2', 'manilav2', bare),
    entry('shared-file-system', 'shared-file-system', bare),
    entry('sharev2_legacy', 'manilav2_legacy', withProject),
    entry('share', 'manila', withProject),
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
