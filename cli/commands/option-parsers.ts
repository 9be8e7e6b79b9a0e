/** Parsers of the CLI's option values: each returns the value or throws commander's InvalidArgumentError. */
import { msToNumber, type Duration } from '@temporalio/common';
import { InvalidArgumentError } from 'commander';
import { QUOTA_KINDS } from '../../common/quotas.js';
import { GRANTABLE_TOOLS, type GrantableTool } from '../../common/tool-tiers.js';

/** A duration like 90s, 15m or 2h, in milliseconds. */
export function duration(value: string): number {
  try {
    const ms = msToNumber(value as Duration);
    if (Number.isFinite(ms) && ms > 0) return ms;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError('a duration like 90s, 15m or 2h');
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer');
  return n;
}

/** `--quota <kind>=N`, repeatable: the quotas named so far, with this one. */
export function quota(value: string, previous: Record<string, number> = {}): Record<string, number> {
  const match = new RegExp(`^(${QUOTA_KINDS.join('|')})=(\\d+)$`).exec(value);
  if (!match) throw new InvalidArgumentError(`<kind>=N with kind one of ${QUOTA_KINDS.join(', ')}`);
  return { ...previous, [match[1]!]: Number(match[2]) };
}

/** A comma-separated list of tool names from the closed list (empty allowed: `--deny-tools ''`). */
export function toolList(value: string): GrantableTool[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(GRANTABLE_TOOLS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `unknown tool ${unknown.join(', ')}; one of ${GRANTABLE_TOOLS.join(', ')}`,
    );
  return [...new Set(names)] as GrantableTool[];
}
