/** A small keyed collection in the catalog (share networks, security services). */
export interface CatalogCollection<T extends { readonly id: string }> {
  get(id: string): Promise<T | null>;
  list(): Promise<T[]>;
  put(item: T): Promise<void>;
  delete(id: string): Promise<void>;
}
