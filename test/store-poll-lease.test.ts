import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { PollContext, Poller } from '../adapters/types';
import { createLogger } from '../src/lib/log';
import { openPgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { Store } from '../src/store/types';
import type { Ingestor } from '../src/sync/ingest';
import { createPollRunner } from '../src/sync/poll-runner';

/**
 * The poll runner over the store's poll lease: of several runners of one source (one per instance),
 * one polls at a time, and a poll overtaken after its lease ran out cannot move the cursor back.
 */
const PG_URL = process.env['LIENTHONG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const logger = createLogger(() => {}, 'error');
const ingestor: Ingestor = {
  accept: async () => ({ outcome: 'changed' }) as Awaited<ReturnType<Ingestor['accept']>>,
  reject: async () => {},
};

/** A poller that records who polled and saves the cursor it is given, after an optional wait. */
function poller(name: string, log: string[], opts: { cursor?: unknown; before?: () => Promise<void> } = {}): Poller {
  return {
    async poll(ctx: PollContext) {
      log.push(name);
      await opts.before?.();
      await ctx.saveCursor(opts.cursor ?? { by: name });
      return { listed: 0, fetched: 0, accepted: 0, skipped: 0 };
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Two handles on one database, as two instances have. */
const drivers: { name: string; open(): Promise<[Store, Store]> }[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'lienthong-poll-'));
      const store = openSqliteStore({ file: join(dir, 'poll.db') });
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }), () => store.close());
      return [store, store];
    },
  },
  {
    name: 'postgres',
    async open() {
      const schema = `lt_test_${randomBytes(6).toString('hex')}`;
      const a = await openPgStore({ url: PG_URL, schema });
      const b = await openPgStore({ url: PG_URL, schema });
      cleanups.push(async () => {
        const pool = new pg.Pool({ connectionString: PG_URL });
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await pool.end();
      });
      cleanups.push(() => a.close(), () => b.close());
      return [a, b];
    },
  },
];

for (const driver of drivers) {
  describe(`poll runner over the poll lease (${driver.name})`, () => {
    it('lets one instance poll a source while the other skips, until the first gives the lease up', async () => {
      const [sa, sb] = await driver.open();
      let clock = 1_000_000;
      const now = () => clock;
      const log: string[] = [];
      const a = createPollRunner({ source: 'civil-status', poller: poller('a', log), store: sa, ingestor, now, logger, owner: 'instance-a', leaseMs: 60_000 });
      const b = createPollRunner({ source: 'civil-status', poller: poller('b', log), store: sb, ingestor, now, logger, owner: 'instance-b', leaseMs: 60_000 });
      expect(await a.runOnce()).not.toBeNull();
      expect(await b.runOnce()).toBeNull();
      clock += 10_000;
      // The holder renews its lease at every poll, so the other keeps skipping.
      expect(await a.runOnce()).not.toBeNull();
      clock += 55_000;
      expect(await b.runOnce()).toBeNull();
      await a.release();
      expect(await b.runOnce()).not.toBeNull();
      expect(await a.runOnce()).toBeNull();
      expect(log).toEqual(['a', 'a', 'b']);
      expect(await sa.getCursor('civil-status')).toEqual({ by: 'b' });
      // A skipped turn is no poll: the source's health shows the last real one.
      expect((await sa.syncStatus(clock)).sources['civil-status']).toMatchObject({ lastPollAt: clock, lastError: null });
    });

    it('takes over from a poll that outlived its lease and keeps that poll from moving the cursor back', async () => {
      const [sa, sb] = await driver.open();
      let clock = 1_000_000;
      const now = () => clock;
      const log: string[] = [];
      let b: ReturnType<typeof createPollRunner>;
      // Instance a hangs past its lease; meanwhile instance b takes the source over and moves on.
      const slow = poller('a', log, {
        cursor: { windowEnd: 'old' },
        before: async () => {
          clock += 60_001;
          expect(await b.runOnce()).not.toBeNull();
        },
      });
      const a = createPollRunner({ source: 'civil-status', poller: slow, store: sa, ingestor, now, logger, owner: 'instance-a', leaseMs: 60_000 });
      b = createPollRunner({ source: 'civil-status', poller: poller('b', log, { cursor: { windowEnd: 'new' } }), store: sb, ingestor, now, logger, owner: 'instance-b', leaseMs: 60_000 });
      expect(await a.runOnce()).toBeNull();
      expect(log).toEqual(['a', 'b']);
      expect(await sb.getCursor('civil-status')).toEqual({ windowEnd: 'new' });
      // Being overtaken is not the source failing.
      expect((await sb.syncStatus(clock)).sources['civil-status']?.lastError).toBeNull();
    });
  });
}
