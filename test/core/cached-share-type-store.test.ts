import { describe, expect, it } from 'vitest';
import { CachedShareTypeStore } from '../../lambdas/core/share-types/cached-share-type-store.ts';
import type { ShareType } from '../../lambdas/core/model.ts';
import type { ShareTypeStore } from '../../lambdas/core/ports.ts';

const type = (id: string, name = id): ShareType => ({
  id, name, description: null, is_public: true, extra_specs: { driver_handles_share_servers: 'false' }, created_at: `2026-01-01T00:00:0${id.length}Z`,
});

/** A store that counts its list calls and can hold a list back until released. */
class CountingStore implements ShareTypeStore {
  readonly types = new Map<string, ShareType>();
  lists = 0;
  failNext = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  holdLists(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async get(id: string) {
    return this.types.get(id) ?? null;
  }

  async findByName(name: string) {
    return [...this.types.values()].find((t) => t.name === name) ?? null;
  }

  async list() {
    this.lists++;
    const snapshot = [...this.types.values()];
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store unavailable');
    }
    await this.gate;
    return snapshot;
  }

  async put(t: ShareType) {
    this.types.set(t.id, t);
  }

  async delete(id: string) {
    this.types.delete(id);
  }
}

describe('Class: CachedShareTypeStore', () => {
  it('reads the store once for any number of lists, gets and look-ups by name', async () => {
    // Prepare
    const store = new CountingStore();
    await store.put(type('a'));
    const cached = new CachedShareTypeStore(store);

    // Act
    const results = await Promise.all([cached.list(), cached.list(), cached.get('a'), cached.findByName('a'), cached.get('missing')]);

    // Assess
    expect(store.lists).toBe(1);
    expect(results.slice(0, 4).map((r) => (Array.isArray(r) ? r.map((t) => t.id) : r?.id))).toEqual([['a'], ['a'], 'a', 'a']);
    expect(results[4]).toBeNull();
  });

  it('sees its own writes at once: a put and a delete drop what it held', async () => {
    // Prepare
    const store = new CountingStore();
    const cached = new CachedShareTypeStore(store);
    await cached.list();

    // Act
    await cached.put(type('b'));
    const afterPut = await cached.get('b');
    await cached.delete('b');
    const afterDelete = await cached.get('b');

    // Assess
    expect(afterPut?.id).toBe('b');
    expect(afterDelete).toBeNull();
    expect(store.lists).toBe(3);
  });

  it('does not keep a list that a write overtook', async () => {
    // Prepare: a list is loading when a type is added
    const store = new CountingStore();
    const cached = new CachedShareTypeStore(store);
    store.holdLists();
    const early = cached.list();

    // Act
    await cached.put(type('late'));
    store.release();
    await early;
    const after = await cached.list();

    // Assess: the early load (without the new type) answered its caller, and was not kept
    expect(after.map((t) => t.id)).toEqual(['late']);
  });

  it('does not keep a failed load: the next read asks the store again', async () => {
    // Prepare
    const store = new CountingStore();
    await store.put(type('a'));
    const cached = new CachedShareTypeStore(store);
    store.failNext = true;

    // Act
    const failed = await cached.list().then(() => 'answered', (err: Error) => err.message);
    const again = await cached.list();

    // Assess
    expect(failed).toBe('store unavailable');
    expect(again.map((t) => t.id)).toEqual(['a']);
  });

  it('hands out copies: a caller changing one changes nothing held', async () => {
    // Prepare
    const store = new CountingStore();
    await store.put(type('a'));
    const cached = new CachedShareTypeStore(store);

    // Act
    const [first] = await cached.list();
    (first as { name: string }).name = 'changed';
    (first!.extra_specs as Record<string, string>)['x'] = 'y';

    // Assess
    expect(await cached.get('a')).toEqual(type('a'));
  });
});
