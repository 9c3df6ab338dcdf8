import { resolveConfig } from '../contracts';
import type { RunningSandbox } from '../sandbox';
import { createGateway } from '../src/gateway';
import { silentLogger } from '../src/lib/log';
import { sandboxConfigFile, sandboxSecrets } from '../src/runtime/sandbox-mode';
import { openPgStore } from '../src/store/pg/store';
import { openSqliteStore } from '../src/store/sqlite/store';
import type { Store } from '../src/store/types';
import type { BenchStorage } from './database';
import { landReception, landStep } from './ingest-code';

/**
 * The drain benchmark's backlog, written straight into the tables in one transaction (the store's
 * own operations would take long for 100,000 dossiers, and this is setup, not measurement): one
 * dossier goes through the real ingest path (a land reception and two steps) and is copied with
 * its codes changed, each copy with its version row and a pending delivery to each target, due
 * now. Source records are not copied: delivery never reads them.
 */
/** A one-stop code's daily sequence has four digits per agency: spread the copies over agencies. */
export const PER_AGENCY = 5_000;
/** Agencies 20 to 99 of the office's district. */
export const MAX_BACKLOG = 80 * PER_AGENCY;
const CODE_PREFIX = 'BENCH-DRAIN-';
export const backlogCode = (i: number) => `${CODE_PREFIX}${String(i).padStart(7, '0')}`;

/** Land callbacks of one dossier: its reception and two processing steps. */
function templateEvents(dossierCode: string) {
  return [
    { kind: 'TiepNhanHoSo', body: landReception(dossierCode, '2026-03-02T08:15:00') },
    ...[1, 2].map((step) => ({ kind: 'ChuyenHoSo', body: landStep(dossierCode, `Chuyển bước ${step}`, `2026-03-0${2 + step}T09:00:00`) })),
  ];
}

export interface Template {
  /** The copied dossier's land code (dossier 1). */
  code: string;
}

export type DrainConfig = ReturnType<typeof sandboxConfigFile>;

/** Queues `size` dossiers for both targets, due now, then runs `trySql`; see the module comment. */
export async function fillBacklog(storage: BenchStorage, file: DrainConfig, sandbox: RunningSandbox, size: number, trySql: readonly string[]): Promise<Template> {
  const sqlite = storage.sqlite ? openSqliteStore({ file: storage.sqlite.file }) : undefined;
  const postgres = storage.postgres ? await openPgStore({ url: storage.postgres.url, schema: storage.postgres.schema }) : undefined;
  const store: Store = (sqlite ?? postgres)!;
  try {
    const config = resolveConfig(file, sandboxSecrets(sandbox));
    const gateway = createGateway({ config, store, now: Date.now, logger: silentLogger, owner: 'bench-fill' });
    const first = backlogCode(1);
    for (const e of templateEvents(first)) {
      const result = await gateway.ingestor.accept('land', { externalId: '', kind: e.kind, body: JSON.stringify(e.body) });
      if (result.outcome !== 'changed') throw new Error(`backlog: the template's ${e.kind} was ${result.outcome}`);
    }
    const office = config.sources.land!.office.code;
    const [head, tail] = [office.slice(0, office.lastIndexOf('.', office.lastIndexOf('.') - 1) + 1), office.slice(office.lastIndexOf('.'))];
    const agency = (i: number) => `${head}${20 + (Math.floor((i - 1) / PER_AGENCY) % 80)}${tail}`;
    const now = Date.now();
    if (sqlite) {
      const raw = sqlite.raw;
      const t = raw.prepare(`SELECT * FROM dossiers WHERE source = 'land' AND external_id = ?`).get(first) as Record<string, unknown>;
      const canonical = String(t['canonical']);
      const dossier = raw.prepare(
        `INSERT INTO dossiers (source, external_id, source_code, version, status, hold_reason, hold_detail, national_code, local_code, received_at_ms, canonical, created_at, updated_at)
         VALUES ('land', ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)`,
      );
      const version = raw.prepare(`INSERT INTO dossier_versions (dossier_id, version, canonical, source_record_id, created_at) VALUES (?, ?, ?, NULL, ?)`);
      const delivery = raw.prepare(
        `INSERT INTO deliveries (dossier_id, target, state, want_version, pending_since, next_attempt_at, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)`,
      );
      raw.transaction(() => {
        for (let i = 2; i <= size; i++) {
          const c = backlogCode(i);
          const text = canonical.replaceAll(first, c).replaceAll(office, agency(i));
          const id = Number(dossier.run(c, c, t['version'], t['status'], t['national_code'], t['local_code'], t['received_at_ms'], text, now, now).lastInsertRowid);
          version.run(id, t['version'], text, now);
          for (const target of ['province', 'dvcqg']) delivery.run(id, target, t['version'], now, now, now, now);
        }
        raw.prepare(`UPDATE deliveries SET next_attempt_at = ? WHERE next_attempt_at > ?`).run(now, now);
      })();
      for (const statement of trySql) raw.exec(statement);
      raw.pragma('optimize');
    } else {
      const q = (text: string, values: unknown[] = []) => postgres!.pool.query(text, values);
      const client = await postgres!.pool.connect();
      try {
        await client.query('BEGIN');
        // One statement per table, generated by the server: the copies' codes and agencies in SQL.
        const codeSql = `'${CODE_PREFIX}' || lpad(g::text, 7, '0')`;
        const agencySql = `'${head}' || (20 + ((g - 1) / ${PER_AGENCY}) % 80)::text || '${tail}'`;
        await client.query(
          `INSERT INTO dossiers (source, external_id, source_code, version, status, hold_reason, hold_detail, national_code, local_code, received_at_ms, canonical, created_at, updated_at)
           SELECT 'land', ${codeSql}, ${codeSql}, t.version, t.status, NULL, NULL, t.national_code, t.local_code, t.received_at_ms,
                  replace(replace(t.canonical, $1, ${codeSql}), $2, ${agencySql}), $3::bigint, $3::bigint
             FROM generate_series(2, $4::int) g, (SELECT * FROM dossiers WHERE source = 'land' AND external_id = $1) t
            ORDER BY g`,
          [first, office, now, size],
        );
        await client.query(
          `INSERT INTO dossier_versions (dossier_id, version, canonical, source_record_id, created_at)
           SELECT id, version, canonical, NULL, $2::bigint FROM dossiers WHERE external_id <> $1 ORDER BY id`,
          [first, now],
        );
        await client.query(
          `INSERT INTO deliveries (dossier_id, target, state, want_version, pending_since, next_attempt_at, created_at, updated_at)
           SELECT d.id, x.target, 'pending', d.version, $2::bigint, $2::bigint, $2::bigint, $2::bigint
             FROM dossiers d CROSS JOIN (VALUES ('province'), ('dvcqg')) AS x(target)
            WHERE d.external_id <> $1 ORDER BY d.id, x.target DESC`,
          [first, now],
        );
        await client.query(`UPDATE deliveries SET next_attempt_at = $1::bigint WHERE next_attempt_at > $1::bigint`, [now]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      } finally {
        client.release();
      }
      for (const statement of trySql) await q(statement);
      // What autovacuum would have done by the time a gateway starts on a table this size.
      await q('ANALYZE dossiers');
      await q('ANALYZE deliveries');
    }
    return { code: first };
  } finally {
    await store.close();
  }
}

