// LOCAL ONLY. Why a restarted stand-in waits before reading the change stream.
//
// The slot keeps every change the stand-in has not delivered yet, including
// those committed while it was down. But changes go to whoever is subscribed
// when they are read, and right after a restart nobody is: realtime-js clients
// reconnect about a second later and rejoin their channels. Read at once, the
// backlog would be consumed with no one to send it to.
//
// So the stand-in records which postgres_changes subscriptions are live (a
// small JSON file in the stack's state folder, rewritten when they change),
// and after a start it holds the slot until all of them have rejoined, or
// until a grace period has passed (clients that never come back must not
// stall everyone else). With no file, or no subscriptions in it, it reads at once.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export class ResumeGate {
  private readonly expected: Map<string, number>;
  private readonly startedAt = Date.now();
  private opened = false;
  private frozen = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly graceMs: number,
    /** The keys of the subscriptions live now (one per joined channel with bindings). */
    private readonly current: () => string[],
  ) {
    this.expected = new Map();
    for (const key of this.read()) this.expected.set(key, (this.expected.get(key) ?? 0) + 1);
  }

  private read(): string[] {
    if (!this.file) return [];
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8'));
      return Array.isArray(parsed.subscriptions) ? parsed.subscriptions : [];
    } catch {
      return [];
    }
  }

  /** True once the subscriptions live before the restart are back (or the grace period is over). */
  isOpen(): boolean {
    if (this.opened) return true;
    const now = new Map<string, number>();
    for (const key of this.current()) now.set(key, (now.get(key) ?? 0) + 1);
    const back = [...this.expected].every(([key, n]) => (now.get(key) ?? 0) >= n);
    this.opened = back || Date.now() - this.startedAt >= this.graceMs;
    if (this.opened) this.changed();
    return this.opened;
  }

  /**
   * Subscriptions changed: rewrite the file soon (coalescing bursts of joins).
   * Not while the gate is shut: the file then names who is still awaited.
   */
  changed(): void {
    if (!this.file || this.frozen || this.timer || !this.opened) return;
    this.timer = setTimeout(() => { this.timer = undefined; this.write(); }, 50);
    this.timer.unref();
  }

  /** Writes the live subscriptions now and stops recording (on stop, before sockets close). */
  freeze(): void {
    if (this.frozen) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    // Before the gate opens, the subscriptions still expected are the ones to wait for next time.
    if (this.opened) this.write();
    this.frozen = true;
  }

  private write(): void {
    if (!this.file || this.frozen) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ subscriptions: this.current() }) + '\n');
    renameSync(tmp, this.file);
  }
}
