import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ShareListScope } from '../../core/shares/share-list.ts';
import { shareListEntry } from '../../core/shares/share-list.ts';
import type { Share } from '../../core/model.ts';
import type { ShareFilter } from '../../core/services.ts';
import {
  ListAttribute, Visibility, indexSortKey, listIndexName, scopePartitionAttribute, sortAttribute,
  type IndexedSortField, type ListScopeKind,
} from './share-list-indexes.ts';

/**
 * The Query inputs a share list reads (share-list-indexes.ts): one per partition of its scope, on the
 * index of its order, with its filters as a FilterExpression on the entries the index keeps.
 */

/** One partition of a scope's index. */
interface Partition {
  readonly scope: ListScopeKind;
  readonly value: string;
}

/** The partitions a scope's shares are in. */
export function partitionsOf(scope: ShareListScope): Partition[] {
  const visibility = (value: string): Partition => ({ scope: 'visibility', value });
  if (scope.kind === 'all') return [visibility(Visibility.PUBLIC), visibility(Visibility.PRIVATE)];
  const own: Partition = { scope: 'project', value: scope.projectId };
  return scope.withPublic ? [own, visibility(Visibility.PUBLIC)] : [own];
}

interface Expression {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/** ShareFilter as conditions on the index entry (matchesFilter's rules: an empty name filters nothing). */
export function filterConditions(filter: ShareFilter): Expression[] {
  const conditions: Expression[] = [];
  const on = (field: string, value: string): void => {
    conditions.push({
      expression: `#entry.#${field} = :${field}`,
      names: { '#entry': ListAttribute.ENTRY, [`#${field}`]: field },
      values: { [`:${field}`]: value },
    });
  };
  if (filter.name !== undefined && filter.name !== '') on('name', filter.name);
  if (filter.status !== undefined) on('status', filter.status);
  if (filter.share_type_id !== undefined) on('share_type_id', filter.share_type_id);
  if (filter.host !== undefined) on('host', filter.host);
  return conditions;
}

/** Shares not of this project: the public partition's part of a project's count, which the project partition already counted. */
export function notOfProject(projectId: string): Expression {
  return {
    expression: '#entry.#project_id <> :own_project',
    names: { '#entry': ListAttribute.ENTRY, '#project_id': 'project_id' },
    values: { ':own_project': projectId },
  };
}

export interface PartitionQueryOptions {
  readonly field: IndexedSortField;
  readonly ascending: boolean;
  readonly conditions: readonly Expression[];
  /** Start after this share's position in the order. @default - the start */
  readonly after?: Share | null;
  /** The attributes to return. @default - all the index keeps */
  readonly attributes?: readonly string[];
  /** Only count. @default false */
  readonly count?: boolean;
}

/** The Query of one partition of the index for `field`. */
export function partitionQuery(tableName: string, partition: Partition, options: PartitionQueryOptions): Omit<QueryCommandInput, 'Limit'> {
  const partitionKey = scopePartitionAttribute(partition.scope);
  const sortKey = sortAttribute(options.field);
  const names: Record<string, string> = { '#partition': partitionKey };
  const values: Record<string, unknown> = { ':partition': partition.value };
  for (const condition of options.conditions) {
    Object.assign(names, condition.names);
    Object.assign(values, condition.values);
  }
  const projection = options.count ? undefined : options.attributes?.map((attribute, i) => {
    names[`#a${i}`] = attribute;
    return `#a${i}`;
  });
  const start = options.after
    ? { [partitionKey]: partition.value, [sortKey]: indexSortKey(shareListEntry(options.after), options.field), id: options.after.id }
    : undefined;
  return {
    TableName: tableName,
    IndexName: listIndexName(partition.scope, options.field),
    KeyConditionExpression: '#partition = :partition',
    ...(options.conditions.length > 0 ? { FilterExpression: options.conditions.map((c) => c.expression).join(' AND ') } : {}),
    ...(projection ? { ProjectionExpression: projection.join(', ') } : {}),
    ...(options.count ? { Select: 'COUNT' as const } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: options.ascending,
    ...(start ? { ExclusiveStartKey: start } : {}),
  };
}
