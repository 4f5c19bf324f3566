import { serviceCatalog } from './catalog.ts';
import type { Domain } from './identity-config.ts';
import type { ValidToken } from './keystone-identity.ts';

/** Keystone writes times with microseconds: `2026-12-07T21:45:00.000000Z`. */
export function keystoneTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const domainView = (domain: Domain) => ({ id: domain.id, name: domain.name });

/** The body Keystone answers `POST` and `GET /v3/auth/tokens` with; `nocatalog` leaves the catalog out. */
export function tokenView(valid: ValidToken, baseUrl: string, options: { readonly nocatalog?: boolean } = {}): { token: Record<string, unknown> } {
  const { claims, user, userDomain, project, applicationCredential } = valid;
  const token: Record<string, unknown> = {
    methods: claims.methods,
    user: { domain: domainView(userDomain), id: user.id, name: user.name, password_expires_at: null },
    audit_ids: [claims.id],
    expires_at: keystoneTime(claims.expires_at),
    issued_at: keystoneTime(claims.issued_at),
  };
  if (project !== undefined) {
    token['project'] = { domain: domainView(project.domain), id: project.project.id, name: project.project.name };
    token['is_domain'] = false;
    token['roles'] = claims.roles.map((role) => ({ id: role, name: role }));
    if (!options.nocatalog) token['catalog'] = serviceCatalog(baseUrl, project.project.id);
  }
  if (applicationCredential !== undefined) {
    token['application_credential'] = { id: applicationCredential.id, name: applicationCredential.name, restricted: true };
  }
  return { token };
}
