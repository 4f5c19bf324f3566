import type { ShareType } from '../model.ts';
import type { ShareTypeStore } from '../ports.ts';

/**
 * Share types held in memory in front of their store, for a process that is the store's only writer of
 * share types (the embedded default: one process serves the API and runs every step). Every share
 * detail names its type, so without this each list page read the whole catalog of types again; types
 * are few and change rarely. Writes go through to the store first and then drop what is held, so a
 * read after a write sees it; a load that a write overtook is not kept.
 *
 * Not for AWS: there every Lambda instance would hold its own copy, and one instance's write would not
 * reach the others'.
 */
export class CachedShareTypeStore implements ShareTypeStore {
  private readonly store: ShareTypeStore;
  private held: Promise<readonly ShareType[]> | undefined;
  /** Bumped by every write: a load started before it is not kept. */
  private generation = 0;

  constructor(store: ShareTypeStore) {
    this.store = store;
  }

  async get(id: string): Promise<ShareType | null> {
    return copy((await this.all()).find((t) => t.id === id));
  }

  async findByName(name: string): Promise<ShareType | null> {
    return copy((await this.all()).find((t) => t.name === name));
  }

  async list(): Promise<ShareType[]> {
    return (await this.all()).map((t) => structuredClone(t));
  }

  async put(type: ShareType): Promise<void> {
    this.forget();
    try {
      await this.store.put(type);
    } finally {
      this.forget();
    }
  }

  async delete(id: string): Promise<void> {
    this.forget();
    try {
      await this.store.delete(id);
    } finally {
      this.forget();
    }
  }

  /** The store's list, in its order, loaded once per generation. */
  private all(): Promise<readonly ShareType[]> {
    if (this.held) return this.held;
    const generation = this.generation;
    const loading = this.store.list();
    this.held = loading;
    loading.then(
      () => {
        if (this.generation !== generation && this.held === loading) this.held = undefined;
      },
      () => {
        // A failed load is not kept: the next read asks the store again.
        if (this.held === loading) this.held = undefined;
      },
    );
    return loading;
  }

  private forget(): void {
    this.generation++;
    this.held = undefined;
  }
}

/** Callers may change what they get; the held copy must not change with it. */
function copy(type: ShareType | undefined): ShareType | null {
  return type ? structuredClone(type) : null;
}
