import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { compareCodePoints } from '../../core/shares/share-list.ts';

type Item = Record<string, unknown>;

/** DynamoDB's page cap is 1 MB whatever Limit says; this caps how many index entries one Query reads. */
const MAX_PAGE_SIZE = 1000;

/**
 * One Query read lazily, in order: a page is fetched only when the entries before it are used up, the
 * first page `Limit` items, each next one twice as many (a FilterExpression can drop most of a page) up
 * to MAX_PAGE_SIZE. So a reader that needs n entries reads about n, not the partition.
 */
export class IndexCursor {
  private readonly client: DynamoDBDocumentClient;
  private readonly input: QueryCommandInput;
  private buffer: Item[] = [];
  private position = 0;
  private next: Item | undefined;
  private started = false;
  private pageSize: number;

  constructor(client: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'Limit'>, firstPageSize: number) {
    this.client = client;
    this.input = input;
    this.next = input.ExclusiveStartKey;
    this.pageSize = Math.min(Math.max(1, firstPageSize), MAX_PAGE_SIZE);
  }

  /** The next entry without using it, or undefined at the end. */
  async peek(): Promise<Item | undefined> {
    while (this.position >= this.buffer.length && (!this.started || this.next !== undefined)) await this.fetch();
    return this.buffer[this.position];
  }

  /** Uses the entry peek returned. */
  take(): Item | undefined {
    return this.buffer[this.position++];
  }

  /** Every remaining entry. */
  async drain(): Promise<Item[]> {
    const items: Item[] = [];
    while ((await this.peek()) !== undefined) items.push(this.take()!);
    return items;
  }

  private async fetch(): Promise<void> {
    const out = await this.client.send(new QueryCommand({ ...this.input, ExclusiveStartKey: this.next, Limit: this.pageSize }));
    this.started = true;
    this.buffer = out.Items ?? [];
    this.position = 0;
    this.next = out.LastEvaluatedKey;
    this.pageSize = Math.min(this.pageSize * 2, MAX_PAGE_SIZE);
  }
}

/**
 * Entries `skip` to `skip + take` of the cursors merged in `sortAttribute` order (each cursor already in
 * that order): a share two cursors both hold (a tenant's own public share, in its project and in
 * `public`) comes once.
 */
export async function mergedEntries(cursors: readonly IndexCursor[], sortAttribute: string, ascending: boolean, skip: number, take: number): Promise<Item[]> {
  const entries: Item[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  while (entries.length < take) {
    const heads = await Promise.all(cursors.map((cursor) => cursor.peek()));
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      if (heads[i] === undefined) continue;
      if (pick < 0) {
        pick = i;
        continue;
      }
      const order = compareCodePoints(String(heads[i]![sortAttribute]), String(heads[pick]![sortAttribute]));
      if (ascending ? order < 0 : order > 0) pick = i;
    }
    if (pick < 0) break;
    const entry = cursors[pick]!.take()!;
    const id = String(entry['id']);
    if (seen.has(id)) continue;
    seen.add(id);
    if (skipped < skip) {
      skipped++;
      continue;
    }
    entries.push(entry);
  }
  return entries;
}
