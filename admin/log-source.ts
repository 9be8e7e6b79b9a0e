/**
 * Where a tenant's supervisor and OpenClaw logs come from. The local runtime
 * writes them as JSON-lines files `<dataDir>/tenants/<tenantId>/logs/*.log`;
 * a Kubernetes implementation would read the pod's container logs instead.
 *
 * The file implementation trusts nothing in the directory: the tenant id is
 * validated before it becomes a path, file names must look like `name.log`,
 * and symlinks (the tenant dir, the logs dir or a file) are refused, so a
 * tenant that controls files in its own state cannot point the admin API at
 * another tenant's logs or anywhere else on the host.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { assertTenantId } from '../common/ids.js';

export interface LogLine {
  /** The file (or container) it came from, e.g. `supervisor`, `openclaw`. */
  readonly source: string;
  readonly line: string;
}

/** Where a tail ended in each log (file name → byte offset), so following picks up exactly there. */
export type LogCursor = Readonly<Record<string, number>>;

export interface TenantLogSource {
  /** The last `lines` lines of every log of the tenant, oldest first ([] when it has none), and where they end. */
  tail(tenantId: string, lines: number): Promise<{ lines: LogLine[]; cursor: LogCursor }>;
  /** Calls `onLines` with lines appended after `cursor`, until `signal` aborts. */
  follow(
    tenantId: string,
    cursor: LogCursor,
    onLines: (lines: LogLine[]) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

const LOG_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.log$/;
/** Bytes read from the end of each file for a tail; enough for thousands of lines. */
const TAIL_BYTES = 1024 * 1024;

export class FileTenantLogSource implements TenantLogSource {
  constructor(
    /** `<dataDir>/tenants` */
    private readonly root: string,
    private readonly pollMs = 500,
  ) {}

  async tail(tenantId: string, lines: number): Promise<{ lines: LogLine[]; cursor: LogCursor }> {
    const all: LogLine[] = [];
    const cursor: Record<string, number> = {};
    for (const { source, path } of await this.files(tenantId)) {
      const { text: raw, end } = await readRange(path, -TAIL_BYTES);
      // A line still being written is left for `follow`, which starts where the whole lines end.
      const text = raw.slice(0, raw.lastIndexOf('\n') + 1);
      cursor[source] = end - Buffer.byteLength(raw.slice(text.length));
      const fileLines = text.split('\n').filter((l) => l.length > 0);
      // A read starting mid-file begins mid-line: drop that fragment.
      if (raw.length >= TAIL_BYTES) fileLines.shift();
      all.push(...fileLines.slice(-lines).map((line) => ({ source, line })));
    }
    return { lines: sortByTime(all).slice(-lines), cursor };
  }

  async follow(
    tenantId: string,
    cursor: LogCursor,
    onLines: (lines: LogLine[]) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const offsets = new Map(Object.entries(cursor));
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      const batch: LogLine[] = [];
      for (const { source, path } of await this.files(tenantId)) {
        let from = offsets.get(source) ?? 0; // a file that appeared after the tail is read from the top
        const size = (await lstat(path)).size;
        if (size < from) from = 0; // truncated or rotated: start again from the top
        if (size <= from) continue;
        const { text } = await readRange(path, from, size);
        // Only whole lines: a partial last line is read again next round.
        const whole = text.slice(0, text.lastIndexOf('\n') + 1);
        offsets.set(source, from + Buffer.byteLength(whole));
        batch.push(
          ...whole
            .split('\n')
            .filter(Boolean)
            .map((line) => ({ source, line })),
        );
      }
      if (batch.length > 0 && !signal.aborted) onLines(sortByTime(batch));
    }
  }

  private async files(tenantId: string): Promise<{ source: string; path: string }[]> {
    const tenantDir = join(this.root, assertTenantId(tenantId));
    const logsDir = join(tenantDir, 'logs');
    for (const dir of [tenantDir, logsDir]) {
      const info = await lstat(dir).catch(() => null);
      if (!info?.isDirectory()) return []; // missing, or a symlink: nothing to show
    }
    const result: { source: string; path: string }[] = [];
    for (const entry of await readdir(logsDir, { withFileTypes: true })) {
      if (!entry.isFile() || !LOG_FILE.test(entry.name)) continue; // symlinks are not isFile()
      result.push({ source: entry.name.slice(0, -'.log'.length), path: join(logsDir, entry.name) });
    }
    return result.sort((a, b) => a.source.localeCompare(b.source));
  }
}

/** Reads bytes [start, end) (negative start: from the end); O_NOFOLLOW refuses a symlink swapped in after the listing. */
async function readRange(path: string, start: number, end?: number): Promise<{ text: string; end: number }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const size = (await handle.stat()).size;
    const from = start < 0 ? Math.max(0, size + start) : start;
    const to = Math.min(end ?? size, size);
    if (to <= from) return { text: '', end: from };
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), end: from + bytesRead };
  } finally {
    await handle.close();
  }
}

/**
 * Merges sources by time: JSON lines carry pino's `time` (epoch ms) or an ISO
 * `time`; a line without one takes the time of the line before it in its
 * source, so plain-text lines stay next to their neighbours.
 */
function sortByTime(lines: LogLine[]): LogLine[] {
  const timeOf = (line: string): number | undefined => {
    try {
      const t: unknown = (JSON.parse(line) as { time?: unknown }).time;
      return typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) || undefined : undefined;
    } catch {
      return undefined;
    }
  };
  const last = new Map<string, number>();
  return lines
    .map((entry, index) => {
      const time = timeOf(entry.line) ?? last.get(entry.source) ?? 0;
      last.set(entry.source, time);
      return { entry, index, time };
    })
    .sort((a, b) => a.time - b.time || a.index - b.index)
    .map(({ entry }) => entry);
}
