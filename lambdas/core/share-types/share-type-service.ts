import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { ShareType } from '../model.ts';
import type { Clock, IdGenerator, ShareTypeStore } from '../ports.ts';
import type { CreateShareTypeRequest, ShareTypeService, UpdateShareTypeRequest } from '../services.ts';
import { parseBooleanSpec } from '../pools/pool-filter.ts';

export const DEFAULT_SHARE_TYPE_NAME = 'default';

const NAME_PATTERN = /^[\w .-]{1,255}$/;

export class StoredShareTypeService implements ShareTypeService {
  private readonly store: ShareTypeStore;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly defaultTypeName: string;

  constructor(deps: { store: ShareTypeStore; clock: Clock; ids: IdGenerator; defaultTypeName?: string }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.ids = deps.ids;
    this.defaultTypeName = deps.defaultTypeName ?? DEFAULT_SHARE_TYPE_NAME;
  }

  async create(request: CreateShareTypeRequest): Promise<ShareType> {
    if (typeof request.name !== 'string' || !NAME_PATTERN.test(request.name)) {
      throw new InvalidRequestError('Share type name must be 1 to 255 letters, digits, spaces, dots, dashes or underscores');
    }
    validateExtraSpecs(request.extra_specs, true);
    if (await this.store.findByName(request.name)) {
      throw new ConflictError(`Share Type ${request.name} already exists.`);
    }
    const type: ShareType = {
      id: this.ids.newId(),
      name: request.name,
      description: request.description ?? null,
      is_public: request.is_public ?? true,
      extra_specs: normaliseSpecs(request.extra_specs),
      created_at: this.clock.now().toISOString(),
    };
    await this.store.put(type);
    return type;
  }

  /** manila/share/share_types.py update: another type's name is a conflict; "" clears the description. */
  async update(id: string, request: UpdateShareTypeRequest): Promise<ShareType> {
    const type = await this.get(id);
    if (request.name && request.name !== type.name) {
      const holder = await this.store.findByName(request.name);
      if (holder && holder.id !== type.id) throw new ConflictError(`Share Type ${request.name} already exists.`);
    }
    const next: ShareType = {
      ...type,
      ...(request.name ? { name: request.name } : {}),
      ...(request.description === '' ? { description: null } : request.description ? { description: request.description } : {}),
      ...(request.is_public !== undefined ? { is_public: request.is_public } : {}),
    };
    await this.store.put(next);
    return next;
  }

  async get(idOrName: string): Promise<ShareType> {
    const type = (await this.store.get(idOrName)) ?? (await this.store.findByName(idOrName));
    if (!type) throw new NotFoundError(`Share type ${idOrName} could not be found.`);
    return type;
  }

  async getDefault(): Promise<ShareType> {
    const type = await this.store.findByName(this.defaultTypeName);
    if (!type) throw new NotFoundError(`Default share type ${this.defaultTypeName} is not configured.`);
    return type;
  }

  list(): Promise<ShareType[]> {
    return this.store.list();
  }

  async setExtraSpecs(id: string, specs: Record<string, string>): Promise<ShareType> {
    validateExtraSpecs(specs, false);
    const type = await this.get(id);
    const next: ShareType = { ...type, extra_specs: { ...type.extra_specs, ...normaliseSpecs(specs) } };
    await this.store.put(next);
    return next;
  }

  async unsetExtraSpec(id: string, key: string): Promise<void> {
    const type = await this.get(id);
    if (key === 'driver_handles_share_servers') {
      throw new InvalidRequestError('Extra spec driver_handles_share_servers is required and cannot be deleted.');
    }
    if (!(key in type.extra_specs)) throw new NotFoundError(`Share type extra spec ${key} not found for type ${type.id}.`);
    const { [key]: _removed, ...rest } = type.extra_specs;
    await this.store.put({ ...type, extra_specs: rest });
  }

  async delete(id: string): Promise<void> {
    const type = await this.get(id);
    await this.store.delete(type.id);
  }
}

function validateExtraSpecs(specs: unknown, requireDhss: boolean): asserts specs is Record<string, string> {
  if (typeof specs !== 'object' || specs === null || Array.isArray(specs)) {
    throw new InvalidRequestError('extra_specs must be an object of strings');
  }
  for (const [key, value] of Object.entries(specs)) {
    if (typeof value !== 'string' && typeof value !== 'boolean') {
      throw new InvalidRequestError(`Extra spec ${key} must be a string`);
    }
    if (key.length === 0 || key.length > 255) throw new InvalidRequestError('Extra spec keys must be 1 to 255 characters');
  }
  const dhss = (specs as Record<string, unknown>)['driver_handles_share_servers'];
  if (requireDhss && dhss === undefined) {
    throw new InvalidRequestError('Required extra specification driver_handles_share_servers is missing.');
  }
  if (dhss !== undefined && parseBooleanSpec(String(dhss)) === undefined) {
    throw new InvalidRequestError(`Extra spec driver_handles_share_servers must be true or false, not ${String(dhss)}.`);
  }
}

function normaliseSpecs(specs: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)]));
}
