/**
 * Slots of the local runtime: slot n is address 127.0.0.(n+2) with ports
 * base+4n (supervisor), +1 (OpenClaw gateway), +2 (Telegram webhook). Each
 * tenant needs its own ports and not just its own address, because OpenClaw
 * also listens on 127.0.0.1 when bound to a custom address.
 */
import type { Logger } from '../common/logger.js';
import type { Placement } from '../runtime/launch-plan.js';
import { portsAreFree } from './port-check.js';

/** 127.0.0.2 … 127.0.0.254. */
export const MAX_SLOTS = 253;

export function placementOf(slot: number, portBase: number): Placement {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new RangeError(`no slot ${slot}`);
  const port = portBase + 4 * slot;
  if (port + 2 > 65535) throw new RangeError(`slot ${slot} needs ports above 65535 with base ${portBase}`);
  return { host: `127.0.0.${slot + 2}`, supervisorPort: port, gatewayPort: port + 1, webhookPort: port + 2 };
}

/** Hands out the lowest free slot; a slot is busy from launch until its processes are gone. */
export class SlotTable {
  private readonly used = new Set<number>();

  constructor(private readonly size: number) {}

  take(): number | null {
    for (let slot = 0; slot < Math.min(this.size, MAX_SLOTS); slot++) {
      if (!this.used.has(slot)) {
        this.used.add(slot);
        return slot;
      }
    }
    return null;
  }

  /** Takes this very slot (an adopted pod keeps its address); false when it is taken. */
  claim(slot: number): boolean {
    if (slot < 0 || slot >= Math.min(this.size, MAX_SLOTS) || this.used.has(slot)) return false;
    this.used.add(slot);
    return true;
  }

  isTaken(slot: number): boolean {
    return this.used.has(slot);
  }

  release(slot: number): void {
    this.used.delete(slot);
  }

  get inUse(): number {
    return this.used.size;
  }
}

/** The lowest free slot whose ports nothing else holds; slots found busy are skipped, not kept. */
export async function freeSlot(
  slots: SlotTable,
  portBase: number,
  logger: Logger,
): Promise<{ slot: number; placement: Placement }> {
  const busy: number[] = [];
  try {
    for (;;) {
      const slot = slots.take();
      if (slot === null) throw new Error('no free local slot (all 253 addresses in use)');
      const placement = placementOf(slot, portBase);
      if (await portsAreFree(placement)) return { slot, placement };
      logger.warn({ slot, host: placement.host }, 'slot ports busy; skipping it');
      busy.push(slot);
    }
  } finally {
    for (const slot of busy) slots.release(slot);
  }
}
