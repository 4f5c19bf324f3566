/**
 * The VM's free page reporting (virtio-balloon), paused while a tool runs. This machine is a VM whose
 * balloon hands free guest memory back to the host: pages freed are reported, a few hundred MiB a
 * second, and touching a reported page again costs a fault into the host. A reserve freed just
 * before a run (see MemoryReserve) is then reported while the tool allocates from it, so a tool that
 * takes its pages later (a slower one, or one that verifies) finds more of them reported and is
 * slowed further: measured on 8 x 256 MiB, smig-copy --verify took 1.3-2.3 s from run to run that
 * way, and 0.66-0.73 s with reporting paused from before the reserve is touched until the run ends.
 * Raising the reporting order above the largest free block the kernel keeps (10 on x86-64) reports
 * nothing; the order is put back after each run, at exit and on SIGINT/SIGTERM. Where the parameter
 * is missing or read-only (not a VM with it, not root), nothing changes.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const ORDER = '/sys/module/page_reporting/parameters/page_reporting_order';
/** Above MAX_PAGE_ORDER (10 on x86-64 and arm64 with 4 KiB pages): no free block qualifies. */
const NOTHING = '11';

export class PageReporting {
  #original: string | undefined;

  /** Stops reporting until resume(); false where this machine has no such setting to change. */
  pause(): boolean {
    if (this.#original !== undefined) return true;
    try {
      const original = readFileSync(ORDER, 'utf8').trim();
      writeFileSync(ORDER, NOTHING);
      this.#original = original;
      process.once('exit', this.#restore);
      process.once('SIGINT', this.#interrupted);
      process.once('SIGTERM', this.#interrupted);
      return true;
    } catch {
      return false;
    }
  }

  resume(): void {
    if (this.#original === undefined) return;
    this.#restore();
    process.removeListener('exit', this.#restore);
    process.removeListener('SIGINT', this.#interrupted);
    process.removeListener('SIGTERM', this.#interrupted);
  }

  /** A bench stopped by a signal puts the order back before it goes (an exit handler alone would not run). */
  readonly #interrupted = (signal: NodeJS.Signals): void => {
    this.#restore();
    process.kill(process.pid, signal);
  };

  readonly #restore = (): void => {
    if (this.#original === undefined) return;
    try {
      writeFileSync(ORDER, this.#original);
    } catch {
      // Read-only since: nothing more to put back.
    }
    this.#original = undefined;
  };
}
