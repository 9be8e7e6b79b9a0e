import type { ManagedProcess } from '../managed-process.js';

/** One row of the dev stack's status table. */
export interface StatusRow {
  readonly component: string;
  readonly url: string;
  readonly state: string;
}

/** Something the dev stack started and must stop. */
export interface RunningComponent {
  readonly rows: readonly StatusRow[];
  /** Child processes (for the "no orphans" check); empty for in-process servers. */
  readonly processes: readonly ManagedProcess[];
  /** Stops the component; safe to call twice. */
  stop(): Promise<void>;
}

/** Where a component keeps its data and logs, and how it reports progress. */
export interface ComponentContext {
  readonly host: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly report: (line: string) => void;
}

/** Wraps a stop function so a second call resolves to the first call's result (stop is safe to call twice). */
export function once(stop: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= stop());
}
