/**
 * DynamoDB table layout of the tenant registry, and an idempotent creator used
 * by the dev stack and `clawfleet admin init`. Production accounts may create
 * the same tables with IaC from these definitions (docs/operations.md).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export interface TableNames {
  readonly tenants: string;
  readonly usage: string;
  /** Envelope-encrypted secrets, wrapped data keys and the credential-hash pepper. */
  readonly secrets: string;
}

export function tableNames(prefix: string): TableNames {
  return { tenants: `${prefix}tenants`, usage: `${prefix}usage`, secrets: `${prefix}secrets` };
}

/** GSI for "all tenants in a status, by last activity" (fleet views, idle sweeps). */
export const TENANTS_BY_STATUS_INDEX = 'by-status-last-active';

/** A table of items per tenant: partition `tenantId`, sort key `sortKey`, both strings. */
function tenantItemsTable(name: string, sortKey: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'tenantId', AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'tenantId', KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
  };
}

export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  return [
    {
      TableName: names.tenants,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'tenantId', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'lastActiveAt', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: TENANTS_BY_STATUS_INDEX,
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'lastActiveAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
    // One item per active interval: sort key `day` is `<YYYY-MM-DD>#<interval start>` (registry/usage.ts).
    tenantItemsTable(names.usage, 'day'),
    // Sort key `item`: `secret#<name>` (ciphertext) or `datakey#<keyId>` (wrapped data key);
    // partition `#platform` holds the credential-hash pepper (registry/secret-store.ts).
    tenantItemsTable(names.secrets, 'item'),
  ];
}

/** Creates any missing table and waits until each is ACTIVE; existing tables are left alone. */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<string[]> {
  const created: string[] = [];
  for (const definition of tableDefinitions(names)) {
    const TableName = definition.TableName!;
    const exists = await client.send(new DescribeTableCommand({ TableName })).then(
      () => true,
      (error: Error) => {
        if (error.name === 'ResourceNotFoundException') return false;
        throw error;
      },
    );
    if (!exists) {
      try {
        await client.send(new CreateTableCommand(definition));
        created.push(TableName);
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error; // created concurrently: fine
      }
    }
    await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName });
  }
  return created;
}
