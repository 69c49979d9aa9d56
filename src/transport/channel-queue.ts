/**
 * At most `max` exec channels at a time on one SSH connection (sshd refuses
 * sessions beyond MaxSessions, 10 by default); the rest wait in order.
 */

export interface ChannelSlot {
  /** Give the slot back, or stop waiting for one; safe to call twice. */
  release(): void;
}

export class ChannelQueue {
  private active = 0;
  private readonly waiting: { start: () => void; cancelled: boolean }[] = [];

  constructor(private readonly max: number) {}

  /**
   * Calls `start` once a slot is free (maybe at once, before this returns: so
   * it gets the slot too); the slot is held until release().
   */
  acquire(start: (slot: ChannelSlot) => void): ChannelSlot {
    let holding = false;
    let released = false;
    const slot: ChannelSlot = {
      release: () => {
        if (released) return;
        released = true;
        w.cancelled = true;
        if (holding) this.free();
      },
    };
    const w = {
      cancelled: false,
      start: () => {
        holding = true;
        start(slot);
      },
    };
    if (this.active < this.max) {
      this.active++;
      w.start();
    } else {
      this.waiting.push(w);
    }
    return slot;
  }

  /** Forget every waiting request (the transport is closing; their commands are killed). */
  cancelAll(): void {
    for (const w of this.waiting.splice(0)) w.cancelled = true;
  }

  private free(): void {
    this.active--;
    while (this.waiting.length > 0 && this.active < this.max) {
      const w = this.waiting.shift()!;
      if (w.cancelled) continue;
      this.active++;
      w.start();
    }
  }
}
