import { afterEach, describe, expect, it } from 'vitest';
import { openPgStore } from '../src/store/pg/store';
import type { Store } from '../src/store/types';
import { createTestApp } from './support/app';
import { TEST_PG_URL, dropSchema, uniqueSchema } from './support/postgres';

/**
 * A NUL character (raw in a body that is not JSON, or escaped as \u0000 into a mapped value) must be
 * refused and kept like any unreadable record on every store: PostgreSQL's text refuses it, so
 * without care the store would fail on every attempt and a polled source would retry it for ever.
 */
const stores: { name: string; open(): Promise<{ store?: Store; cleanup(): Promise<void> }> }[] = [
  { name: 'sqlite', open: async () => ({ cleanup: async () => {} }) },
  {
    name: 'postgres',
    async open() {
      const schema = uniqueSchema('nul');
      return { store: await openPgStore({ url: TEST_PG_URL, schema }), cleanup: async () => void (await dropSchema(TEST_PG_URL, schema)) };
    },
  },
];

describe.each(stores)('a NUL character in a land callback ($name)', ({ open }) => {
  let cleanup: () => Promise<void> = async () => {};
  afterEach(() => cleanup());

  it('is answered 400 and kept for an operator, with the NUL shown as U+FFFD', async () => {
    const opened = await open();
    const t = await createTestApp(opened.store ? { store: opened.store } : {});
    cleanup = async () => {
      await t.close();
      await opened.cleanup();
    };
    const post = (body: string) =>
      t.app.request('/ingest/land/test-secret-value/ChuyenHoSo', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const escaped = JSON.stringify({ SoBienNhan: 'VPDK-1\u0000', MaTrangThai: 'THAM_DINH', NgayChuyen: '2026-03-05T09:55:00' });
    expect(escaped).toContain('\\u0000');
    const raw = '{"SoBienNhan": "VPDK-2\u0000"}';

    for (const body of [escaped, raw]) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { Result: number }).Result).toBe(0);
    }
    const { rejected } = await t.store.problemGroups(10);
    const samples = rejected.flatMap((g) => g.samples.map((s) => ({ ...s, reasonCode: g.reasonCode })));
    expect(samples.map((s) => s.reasonCode).sort()).toEqual(['BAD_JSON', 'NUL_CHARACTER']);
    const bodies = await Promise.all(samples.map(async (s) => (await t.store.getRejected(s.id))?.body ?? ''));
    for (const body of bodies) expect(body).not.toContain('\u0000');
    // The escaped one is kept verbatim (its text holds no NUL); the raw one with U+FFFD in its place.
    expect(bodies.sort()).toEqual([escaped, raw.replace('\u0000', '\uFFFD')].sort());
    // Nothing was stored as a source record; both refusals are counted for the source.
    const land = (await t.store.syncStatus(Date.now())).sources['land'];
    expect(land?.records ?? 0).toBe(0);
    expect(land?.rejected).toBe(2);
  });
});
