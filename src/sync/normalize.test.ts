import { describe, expect, it } from 'vitest';
import { WorkingCalendar } from '../lib/working-time';
import { makeDossier } from '../../test/support/dossier';
import { normalizeDossier, type NormalizeContext } from './normalize';
import type { CurrentDossier } from '../store/types';

const ctx: NormalizeContext = {
  procedureMap: { 'KS-01': '1.001193', 'KT-01': '1.000656' },
  catalog: {
    '1.001193': { name: 'Đăng ký khai sinh', sectorCode: 'G15-TP07', statutoryDays: 0 },
    '1.000656': { name: 'Đăng ký khai tử', sectorCode: 'G15-TP07', statutoryDays: 1 },
  },
  calendar: new WorkingCalendar(),
};
const unmapped = { localCode: 'KS-01' };

describe('normalizeDossier', () => {
  it('resolves the national procedure through the mapping table and the catalogue', () => {
    const r = normalizeDossier(makeDossier({ procedure: unmapped }), ctx, null);
    if (r.kind !== 'dossier') throw new Error('expected a dossier');
    expect(r.hold).toBeNull();
    expect(r.dossier.procedure).toEqual({ localCode: 'KS-01', nationalCode: '1.001193', name: 'Đăng ký khai sinh', sectorCode: 'G15-TP07', statutoryDays: 0 });
  });

  it('holds a dossier whose local code has no mapping, never guessing one', () => {
    const r = normalizeDossier(makeDossier({ procedure: { localCode: 'XNHN-01' } }), ctx, null);
    if (r.kind !== 'dossier') throw new Error('expected a dossier');
    expect(r.hold).toEqual({ reason: 'UNMAPPED_PROCEDURE', detail: expect.stringContaining('XNHN-01') });
    expect(r.dossier.procedure.nationalCode).toBeUndefined();
  });

  it('holds a dossier not yet received', () => {
    const r = normalizeDossier(makeDossier({ procedure: unmapped, receivedAt: undefined, status: 'SUBMITTED', dueAt: undefined }), ctx, null);
    if (r.kind !== 'dossier') throw new Error('expected a dossier');
    expect(r.hold?.reason).toBe('NOT_RECEIVED');
  });

  it('computes a missing due date from the statutory duration and moves it by a supplement pause', () => {
    const r = normalizeDossier(
      makeDossier({
        procedure: { localCode: 'KT-01' },
        receivedAt: '2026-03-03T14:20:00+07:00',
        dueAt: undefined,
        pauses: [{ kind: 'SUPPLEMENT', requestedAt: '2026-03-03T16:00:00+07:00', resumedAt: '2026-03-04T08:00:00+07:00' }],
      }),
      ctx,
      null,
    );
    if (r.kind !== 'dossier') throw new Error('expected a dossier');
    // One working day from 14:20 lands on 04/03 14:20 -> due 04/03 17:00; the pause took 2 working
    // hours (16:00-17:00 and 07:00-08:00), which move the due date to 05/03 09:00.
    expect(r.dossier.dueAt).toBe('2026-03-05T09:00:00+07:00');
  });

  it('sets completedAt at the first finishing step, preferring RESULT_READY', () => {
    const r = normalizeDossier(
      makeDossier({
        procedure: unmapped,
        status: 'RESULT_DELIVERED',
        events: [
          { seq: 0, at: '2026-03-02T08:05:10+07:00', actor: 'a', content: 'Tiếp nhận', status: 'IN_PROGRESS' },
          { seq: 2, at: '2026-03-02T11:00:00+07:00', actor: 'a', content: 'Trả kết quả', status: 'RESULT_DELIVERED' },
          { seq: 1, at: '2026-03-02T10:41:00+07:00', actor: 'a', content: 'Có kết quả', status: 'RESULT_READY' },
        ],
      }),
      ctx,
      null,
    );
    if (r.kind !== 'dossier') throw new Error('expected a dossier');
    expect(r.dossier.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(r.dossier.completedAt).toBe('2026-03-02T10:41:00+07:00');
    expect(r.dossier.deliveredAt).toBe('2026-03-02T11:00:00+07:00');
  });

  it('never moves a dossier out of a final status', () => {
    const closed = makeDossier({ status: 'REJECTED_AT_INTAKE', rawStatus: { system: 'civil-status', value: '6' } });
    const current: CurrentDossier = { id: 1, version: 3, status: 'REJECTED_AT_INTAKE', canonical: { ...closed, version: 3 }, holdReason: null };
    const r = normalizeDossier(makeDossier({ procedure: unmapped, status: 'IN_PROGRESS' }), ctx, current);
    if (r.kind !== 'dossier') throw new Error('expected a dossier');
    expect(r.dossier.status).toBe('REJECTED_AT_INTAKE');
    expect(r.dossier.rawStatus.value).toBe('6');
  });
});

describe('due dates after a supplement (rules.md)', () => {
  const pause = { kind: 'SUPPLEMENT' as const, requestedAt: '2026-03-04T10:00:00+07:00', resumedAt: '2026-03-05T10:00:00+07:00' };
  const run = (o: Parameters<typeof makeDossier>[0]) => {
    const r = normalizeDossier(makeDossier({ procedure: { localCode: 'KT-01' }, ...o }), ctx, null);
    if (r.kind !== 'dossier') throw new Error('expected a dossier');
    return r.dossier;
  };

  it("moves the source's due date by the paused working time when the source did not set a new one", () => {
    const d = run({ dueAt: '2026-03-10T17:00:00+07:00', pauses: [{ ...pause, dueBefore: '2026-03-10T17:00:00+07:00' }] });
    expect(d.dueAt).toBe('2026-03-11T17:00:00+07:00');
    expect(d.pauses[0]).toMatchObject({ dueBefore: '2026-03-10T17:00:00+07:00', dueAfter: '2026-03-11T17:00:00+07:00' });
  });

  it('lets a new due date from the source win', () => {
    const d = run({ dueAt: '2026-03-18T10:00:00+07:00', pauses: [{ ...pause, dueBefore: '2026-03-10T17:00:00+07:00', dueAfter: '2026-03-18T10:00:00+07:00' }] });
    expect(d.dueAt).toBe('2026-03-18T10:00:00+07:00');
  });

  it('trusts a source that keeps its own current due date (no due date recorded at the request)', () => {
    const d = run({ dueAt: '2026-03-12T17:00:00+07:00', pauses: [pause] });
    expect(d.dueAt).toBe('2026-03-12T17:00:00+07:00');
  });
});
