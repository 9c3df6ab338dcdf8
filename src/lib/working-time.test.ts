import { describe, expect, it } from 'vitest';
import { instantMs } from './time';
import { WorkingCalendar } from './working-time';

const cal = new WorkingCalendar(['2026-04-30', '2026-05-01']);

describe('working time (rules.md)', () => {
  it('counts N working days from reception, due at the close of the day it lands on', () => {
    // The spec's own examples: a 10-day land procedure and a 3-day business registration.
    expect(cal.dueDate('2026-03-02T08:30:00+07:00', 10)).toBe('2026-03-16T17:00:00+07:00');
    expect(cal.dueDate('2026-03-02T07:45:00+07:00', 3)).toBe('2026-03-05T17:00:00+07:00');
  });

  it('starts the next working morning when received after hours or on a day off', () => {
    expect(cal.dueDate('2026-03-06T18:00:00+07:00', 1)).toBe('2026-03-09T17:00:00+07:00'); // Friday evening -> Monday
    expect(cal.dueDate('2026-03-07T09:00:00+07:00', 1)).toBe('2026-03-09T17:00:00+07:00'); // Saturday
  });

  it('skips public holidays from the calendar', () => {
    expect(cal.dueDate('2026-04-29T09:00:00+07:00', 1)).toBe('2026-05-04T17:00:00+07:00');
  });

  it('makes same-day procedures received after 15:00 due the next working day', () => {
    expect(cal.dueDate('2026-03-02T08:05:10+07:00', 0)).toBe('2026-03-02T17:00:00+07:00');
    expect(cal.dueDate('2026-03-02T15:40:00+07:00', 0)).toBe('2026-03-03T17:00:00+07:00');
  });

  it('measures working time between instants, lunch and nights excluded', () => {
    const from = instantMs('2026-03-02T11:00:00+07:00');
    const to = instantMs('2026-03-02T14:00:00+07:00');
    expect(cal.workingBetween(from, to)).toBe(60 * 60_000); // 11:00-11:30 and 13:30-14:00
    expect(cal.workingBetween(instantMs('2026-03-06T16:00:00+07:00'), instantMs('2026-03-09T08:00:00+07:00'))).toBe(2 * 3600_000);
  });

  it('moves a due date forward by the working time a supplement pause took', () => {
    const due = cal.extendBy('2026-03-10T17:00:00+07:00', '2026-03-04T10:00:00+07:00', '2026-03-05T10:00:00+07:00');
    expect(due).toBe('2026-03-11T17:00:00+07:00');
  });
});
