import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSqliteStore } from '../src/store/sqlite/store';
import { median, percentile } from './lib';

/**
 * Growth: the cost of claiming the next deliveries when the deliveries table holds `rows` rows,
 * nearly all of them delivered long ago (a gateway after months of work), with a few thousand
 * waiting. Measured for both targets (the national portal's claim joins the province's row).
 * The history is written straight into the tables (the store's own operations would take hours
 * for a million rows); the claims go through the store's interface.
 */
export interface ClaimFigures {
  rows: number;
  provinceMedianUs: number;
  provinceP99Us: number;
  dvcqgMedianUs: number;
  dbMb: number;
}

const WAITING = 4_000;
const CLAIMS = 150;
const LIMIT = 10;

export async function claimRound(rows: number): Promise<ClaimFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-bench-claim-'));
  const file = join(dir, 'claim.db');
  const store = openSqliteStore({ file });
  try {
    const now = Date.now();
    const canonical = JSON.stringify({ summary: 'x', events: [] });
    const dossier = store.raw.prepare(
      `INSERT INTO dossiers (id, source, external_id, source_code, version, status, canonical, created_at, updated_at)
       VALUES (?, 'land', ?, ?, 1, 'IN_PROGRESS', ?, ?, ?)`,
    );
    const delivery = store.raw.prepare(
      `INSERT INTO deliveries (dossier_id, target, state, want_version, sent_version, next_attempt_at, remote_code, delivered_at, created_at, updated_at)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)`,
    );
    const dossiers = rows / 2;
    store.raw.transaction(() => {
      for (let id = 1; id <= dossiers; id++) {
        const code = `B-${id}`;
        const waiting = id > dossiers - WAITING;
        const at = now - (dossiers - id) * 1000;
        dossier.run(id, code, code, canonical, at, at);
        // Waiting: the province has it, the portal does not yet (both claims have work).
        delivery.run(id, 'province', waiting ? 'pending' : 'delivered', waiting ? null : 1, at, waiting ? null : `000.00.20.H56-260302-${String(id % 10_000).padStart(4, '0')}`, waiting ? null : at, at, at);
        delivery.run(id, 'dvcqg', waiting ? 'pending' : 'delivered', waiting ? null : 1, at, waiting ? null : code, waiting ? null : at, at, at);
      }
    })();
    // Half of the waiting ones the province has delivered: the portal may claim those.
    store.raw
      .prepare(`UPDATE deliveries SET state = 'delivered', sent_version = 1, remote_code = 'C-' || dossier_id WHERE target = 'province' AND state = 'pending' AND dossier_id % 2 = 0`)
      .run();
    store.raw.pragma('optimize');
    const time = async (target: 'province' | 'dvcqg') => {
      const samples: number[] = [];
      for (let i = 0; i < CLAIMS; i++) {
        const t0 = performance.now();
        const claimed = await store.claimDeliveries({ target, ...(target === 'dvcqg' ? { after: 'province' as const } : {}), owner: 'bench', now: now + 1000, leaseMs: 3_600_000, limit: LIMIT });
        samples.push((performance.now() - t0) * 1000);
        if (claimed.length === 0) throw new Error(`nothing left to claim for ${target} after ${i} claims`);
      }
      return samples.sort((a, b) => a - b);
    };
    const province = await time('province');
    const dvcqg = await time('dvcqg');
    return { rows, provinceMedianUs: median(province), provinceP99Us: percentile(province, 99), dvcqgMedianUs: median(dvcqg), dbMb: statSync(file).size / 1e6 };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
