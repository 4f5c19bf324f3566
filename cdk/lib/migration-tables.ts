import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLES, type TableSchema } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import type { TableAccess, TableId } from '../../lambdas/composition/function-permissions.ts';

export type { TableId };

export interface MigrationTablesProps {
  /**
   * What happens to the tables (and the share and migration records in them) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether DynamoDB refuses to delete the tables (DeleteTable, or CloudFormation) until it is turned off.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The DynamoDB tables of table-schema.ts, created from those definitions: on-demand billing,
 * point-in-time recovery, deletion protection, encrypted with the AWS managed key. Physical names are
 * generated; code reads them from each schema's `envVar` (see `environment`).
 */
export class MigrationTables extends Construct {
  /** The tables by schema id. */
  readonly byId: Readonly<Record<TableId, dynamodb.Table>>;

  constructor(scope: Construct, id: string, props: MigrationTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const entries = TABLES.map((schema) => [schema.id, this.createTable(schema, removalPolicy, props.deletionProtection ?? true)] as const);
    this.byId = Object.fromEntries(entries) as Record<TableId, dynamodb.Table>;
  }

  table(id: TableId): dynamodb.Table {
    return this.byId[id];
  }

  /** Every table's `envVar` mapped to its physical name: the environment Lambdas read. */
  get environment(): Record<string, string> {
    return this.environmentFor(TABLES.map((schema) => schema.id));
  }

  /** The `envVar` of the given tables mapped to their physical names. */
  environmentFor(ids: readonly TableId[]): Record<string, string> {
    return Object.fromEntries(TABLES.filter((schema) => ids.includes(schema.id)).map((schema) => [schema.envVar, this.byId[schema.id].tableName]));
  }

  /**
   * Exactly `access` on each table (function-permissions.ts): its item actions on the table, its index
   * actions on each named index, nothing else (no stream, no DescribeTable, no other index).
   */
  grantAccess(grantee: iam.IGrantable, tables: Readonly<Partial<Record<TableId, TableAccess>>>): void {
    for (const [id, access] of Object.entries(tables) as [TableId, TableAccess][]) {
      const table = this.byId[id];
      const schema = TABLES.find((candidate) => candidate.id === id)!;
      iam.Grant.addToPrincipal({ grantee, actions: [...access.actions], resourceArns: [table.tableArn] });
      // One statement per set of actions, naming each index it applies to (the share lists query eleven).
      const byActions = new Map<string, string[]>();
      for (const [index, actions] of Object.entries(access.indexes ?? {})) {
        if (!schema.indexes.some((candidate) => candidate.name === index)) {
          throw new Error(`MigrationTables: the ${id} table has no index "${index}" to grant on (indexes: ${schema.indexes.map((i) => i.name).join(', ') || 'none'}); fix function-permissions.ts`);
        }
        const key = [...actions].sort().join(',');
        byActions.set(key, [...(byActions.get(key) ?? []), `${table.tableArn}/index/${index}`]);
      }
      for (const [actions, resourceArns] of byActions) iam.Grant.addToPrincipal({ grantee, actions: actions.split(','), resourceArns });
    }
  }

  private createTable(schema: TableSchema, removalPolicy: RemovalPolicy, deletionProtection: boolean): dynamodb.Table {
    // Every key in the schema is a string: ids, `kind#id` catalogue keys and ISO-8601 timestamps.
    const key = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    const table = new dynamodb.Table(this, pascalCase(schema.id), {
      partitionKey: key(schema.partitionKey),
      sortKey: schema.sortKey === undefined ? undefined : key(schema.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // A table is deleted only after someone turns this off on purpose, whatever the removal policy.
      deletionProtection,
      removalPolicy,
    });
    for (const index of schema.indexes) {
      const projection = index.projection ?? 'ALL';
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: key(index.partitionKey),
        sortKey: index.sortKey === undefined ? undefined : key(index.sortKey),
        ...(projection === 'ALL'
          ? { projectionType: dynamodb.ProjectionType.ALL }
          : projection === 'KEYS_ONLY'
            ? { projectionType: dynamodb.ProjectionType.KEYS_ONLY }
            : { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...projection.include] }),
      });
    }
    return table;
  }
}

export function pascalCase(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
