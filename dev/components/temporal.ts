import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../workflows/shared.js';
import { ManagedProcess } from '../managed-process.js';
import { waitUntil } from '../ports.js';
import type { ComponentContext, RunningComponent } from './component.js';

export interface TemporalOptions {
  readonly cli: string;
  readonly port: number;
  readonly uiPort: number;
  readonly namespace: string;
}

/** The CLI's names for SDK search attribute types (`--search-attribute Name=Keyword`). */
const CLI_TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  DATETIME: 'Datetime',
  TEXT: 'Text',
  INT: 'Int',
};

export function searchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${CLI_TYPE_NAMES[key.type]}`,
  ]);
}

/**
 * `temporal server start-dev` with the Web UI, a persistent SQLite file (so
 * tenants survive restarts) and clawfleet's search attributes. Ready once the
 * namespace describes and every search attribute is listed.
 */
export async function startTemporal(
  ctx: ComponentContext,
  options: TemporalOptions,
): Promise<RunningComponent> {
  const address = `${ctx.host}:${options.port}`;
  const process = ManagedProcess.start({
    name: 'temporal',
    command: options.cli,
    logFile: join(ctx.logDir, 'temporal.log'),
    args: [
      'server',
      'start-dev',
      '--ip',
      ctx.host,
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      '--db-filename',
      join(ctx.dataDir, 'temporal.db'),
      '--namespace',
      options.namespace,
      '--log-level',
      'warn',
      '--ui-disable-news-fetch',
      // update-with-start (the `wake` update for a never-started tenant)
      '--dynamic-config-value',
      'frontend.enableExecuteMultiOperation=true',
      ...searchAttributeArgs(),
    ],
  });
  const stop = () => process.stop(15_000);
  try {
    const attributeCount = await waitUntil(
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: options.namespace });
          const listing = await connection.operatorService.listSearchAttributes({
            namespace: options.namespace,
          });
          const custom = Object.keys(listing.customAttributes ?? {});
          if (!SEARCH_ATTRIBUTES.every((key) => custom.includes(key.name))) return false;
          const ui = await fetch(`http://${ctx.host}:${options.uiPort}/`, {
            signal: AbortSignal.timeout(2_000),
          });
          return ui.ok && SEARCH_ATTRIBUTES.length;
        } finally {
          await connection.close();
        }
      },
      {
        what: 'Temporal dev server',
        timeoutMs: 60_000,
        abort: () =>
          process.running ? undefined : `${process.describeExit()} (see ${join(ctx.logDir, 'temporal.log')})`,
      },
    );
    return {
      rows: [
        {
          component: 'temporal',
          url: address,
          state: `up (namespace ${options.namespace}, ${attributeCount} search attributes)`,
        },
        { component: 'web ui', url: `http://${ctx.host}:${options.uiPort}`, state: 'up' },
      ],
      processes: [process],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
