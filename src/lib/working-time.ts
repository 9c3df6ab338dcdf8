import { VN_OFFSET_MS, toVnIso, instantMs, vnDate } from './time';

/**
 * Working time (rules.md): 07:00-11:30 and 13:30-17:00 Vietnam time, Monday to Friday, minus the
 * public holidays operators list in configuration. One working day is 8 working hours.
 */
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const PERIODS: ReadonlyArray<readonly [number, number]> = [
  [7 * HOUR, 11.5 * HOUR],
  [13.5 * HOUR, 17 * HOUR],
];
export const WORKING_DAY_MS = 8 * HOUR;

export class WorkingCalendar {
  private readonly holidays: ReadonlySet<string>;
  constructor(holidays: Iterable<string> = []) {
    this.holidays = new Set(holidays);
  }

  /** Start of the Vietnam calendar day containing `ms`, as epoch ms. */
  private dayStart(ms: number): number {
    return Math.floor((ms + VN_OFFSET_MS) / DAY) * DAY - VN_OFFSET_MS;
  }

  isWorkingDay(ms: number): boolean {
    const weekday = new Date(ms + VN_OFFSET_MS).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !this.holidays.has(vnDate(ms));
  }

  /** The first working instant at or after `ms`. */
  nextWorkingInstant(ms: number): number {
    let day = this.dayStart(ms);
    for (let i = 0; i < 3660; i++, day += DAY) {
      if (!this.isWorkingDay(day)) continue;
      for (const [from, to] of PERIODS) {
        const start = day + from;
        const end = day + to;
        if (ms < end) return Math.max(ms, start);
      }
    }
    throw new Error('no working day within ten years: check the holiday calendar');
  }

  /** The instant `amount` working milliseconds after `ms`. */
  addWorking(ms: number, amount: number): number {
    let t = this.nextWorkingInstant(ms);
    let left = amount;
    while (left > 0) {
      const day = this.dayStart(t);
      const period = PERIODS.find(([, to]) => t < day + to)!;
      const room = day + period[1] - t;
      if (left <= room) return t + left;
      left -= room;
      t = this.nextWorkingInstant(day + period[1]);
    }
    return t;
  }

  /** Working milliseconds between two instants (0 when `to` is not after `from`). */
  workingBetween(from: number, to: number): number {
    let total = 0;
    for (let day = this.dayStart(from); day <= to; day += DAY) {
      if (!this.isWorkingDay(day)) continue;
      for (const [a, b] of PERIODS) {
        const lo = Math.max(from, day + a);
        const hi = Math.min(to, day + b);
        if (hi > lo) total += hi - lo;
      }
    }
    return total;
  }

  /** 17:00 of the working day that holds `ms` (the close of the day a due date falls on). */
  private closeOfDay(ms: number): number {
    return this.dayStart(ms) + 17 * HOUR;
  }

  /**
   * The due date of a procedure of `days` working days received at `receivedAt`, when the source
   * gives none: counted from the next working hour, due at the close of the day it lands on.
   * Same-day procedures (0 days) received after 15:00 are due the next working day at 17:00.
   */
  dueDate(receivedAt: string, days: number): string {
    const start = this.nextWorkingInstant(instantMs(receivedAt));
    if (days <= 0) {
      const sameDay = this.dayStart(start) + 15 * HOUR;
      const day = start <= sameDay ? start : this.nextWorkingInstant(this.dayStart(start) + DAY);
      return toVnIso(this.closeOfDay(day));
    }
    const end = this.addWorking(start, days * WORKING_DAY_MS);
    // Landing exactly on the start of a day's work means the previous working day's close.
    return toVnIso(this.closeOfDay(end - 1 < start ? end : end - 1));
  }

  /** Moves a due date forward by the working time a pause took. */
  extendBy(dueAt: string, pausedFrom: string, pausedTo: string): string {
    const paused = this.workingBetween(instantMs(pausedFrom), instantMs(pausedTo));
    return toVnIso(this.addWorking(instantMs(dueAt), paused));
  }
}
