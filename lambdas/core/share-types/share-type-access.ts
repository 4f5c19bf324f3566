import { ConflictError, NotFoundError } from '../errors.ts';
import type { ShareType } from '../model.ts';
import type { ShareTypeStore } from '../ports.ts';
import type { ShareTypeAccessService, ShareTypeService } from '../services.ts';

/**
 * Manila's share type access (manila/api/v2/share_types.py share_type_access, _add_project_access,
 * _remove_project_access; manila/db/sqlalchemy/api.py share_type_access_*): a private type is seen and used
 * only by the projects granted it, and by admins. The projects are kept on the type's own record.
 */
export class StoredShareTypeAccessService implements ShareTypeAccessService {
  private readonly store: ShareTypeStore;
  private readonly shareTypes: ShareTypeService;

  constructor(deps: { store: ShareTypeStore; shareTypes: ShareTypeService }) {
    this.store = deps.store;
    this.shareTypes = deps.shareTypes;
  }

  async listProjects(idOrName: string): Promise<{ type: ShareType; projects: readonly string[] }> {
    const type = await this.typeOrNotFound(idOrName, `Share type ${idOrName} not found.`);
    if (type.is_public) throw new NotFoundError('Access list not available for public share types.');
    return { type, projects: type.projects ?? [] };
  }

  async addProject(idOrName: string, projectId: string): Promise<void> {
    const type = await this.privateType(idOrName);
    const projects = type.projects ?? [];
    if (projects.includes(projectId)) {
      throw new ConflictError(`Share type access for ${idOrName} / ${projectId} combination already exists.`);
    }
    await this.store.put({ ...type, projects: [...projects, projectId] });
  }

  async removeProject(idOrName: string, projectId: string): Promise<void> {
    const type = await this.privateType(idOrName);
    const projects = type.projects ?? [];
    if (!projects.includes(projectId)) {
      throw new NotFoundError(`Share type access not found for ${idOrName} / ${projectId} combination.`);
    }
    const rest = projects.filter((p) => p !== projectId);
    const { projects: _all, ...withoutProjects } = type;
    await this.store.put(rest.length > 0 ? { ...type, projects: rest } : withoutProjects);
  }

  /** _verify_if_non_public_share_type: 409 for a public type. */
  private async privateType(idOrName: string): Promise<ShareType> {
    const type = await this.typeOrNotFound(idOrName, `Share type ${idOrName} could not be found.`);
    if (type.is_public) throw new ConflictError('Type access modification is not applicable to public share type.');
    return type;
  }

  private async typeOrNotFound(idOrName: string, message: string): Promise<ShareType> {
    try {
      return await this.shareTypes.get(idOrName);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(message, {}, { cause: err });
      throw err;
    }
  }
}

/** Whether a project may see and use `type` (Manila's share type query for a non-admin context). */
export function typeVisibleTo(type: ShareType, projectId: string, isAdmin: boolean): boolean {
  return isAdmin || type.is_public || (type.projects ?? []).includes(projectId);
}
