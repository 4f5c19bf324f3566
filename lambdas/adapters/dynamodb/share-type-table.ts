import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShareType } from '../../core/model.ts';
import type { ShareTypeStore } from '../../core/ports.ts';
import { CatalogTableCollection } from './catalog-collection.ts';

/** Share types in the catalog table, keyed `share_type#<id>`. */
export class ShareTypeTable implements ShareTypeStore {
  private readonly items: CatalogTableCollection<ShareType>;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.items = new CatalogTableCollection<ShareType>(client, tableName, 'share_type');
  }

  get(id: string): Promise<ShareType | null> {
    return this.items.get(id);
  }

  async findByName(name: string): Promise<ShareType | null> {
    return (await this.list()).find((t) => t.name === name) ?? null;
  }

  async list(): Promise<ShareType[]> {
    return (await this.items.list()).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  put(type: ShareType): Promise<void> {
    return this.items.put(type);
  }

  delete(id: string): Promise<void> {
    return this.items.delete(id);
  }
}
