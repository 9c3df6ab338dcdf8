import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalDossier, configFile, resolveConfig, type SourceSystem } from '../contracts';
import { registry } from '../adapters/registry';
import type { Adapter, AdapterEntry, RawRecord } from '../adapters/types';
import { sliceDossiers } from '../adapters/business-registration/soap';
import { BUSINESS_PROCEDURES, CIVIL_STATUS_PROCEDURES, LAND_PROCEDURES, NATIONAL_CATALOG } from '../sandbox/catalog';
import { WorkingCalendar } from '../src/lib/working-time';
import { normalizeDossier } from '../src/sync/normalize';

/**
 * One contract for every adapter: its configuration parses, every recorded fixture maps to a
 * valid canonical dossier (given the mapping table), and mapping is deterministic.
 */
const dir = (id: string) => new URL(`../adapters/${id}/fixtures/`, import.meta.url);
const read = (id: string, name: string) => readFileSync(new URL(name, dir(id)), 'utf8');

/** Each fixture file as the records of one or more dossiers, in arrival order. */
const FIXTURES: Record<SourceSystem, () => RawRecord[][]> = {
  'civil-status': () =>
    readdirSync(dir('civil-status'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => [{ externalId: '', kind: 'snapshot', body: read('civil-status', f) }]),
  land: () => {
    const groups = new Map<string, RawRecord[]>();
    for (const f of readdirSync(dir('land')).filter((n) => n.endsWith('.jsonl'))) {
      for (const line of read('land', f).trim().split('\n')) {
        const { event, body } = JSON.parse(line) as { event: string; body: { SoBienNhan: string } };
        groups.set(body.SoBienNhan, [...(groups.get(body.SoBienNhan) ?? []), { externalId: '', kind: event, body: JSON.stringify(body) }]);
      }
    }
    return [...groups.values()];
  },
  'business-registration': () =>
    readdirSync(dir('business-registration'))
      .filter((f) => f.endsWith('.xml'))
      .flatMap((f) => sliceDossiers(read('business-registration', f)).map((xml) => [{ externalId: '', kind: 'snapshot', body: xml }])),
};

const catalog = Object.fromEntries(Object.entries(NATIONAL_CATALOG).map(([k, v]) => [k, { name: v.name, sectorCode: v.sectorCode, sectorName: v.sectorName, statutoryDays: v.statutoryDays }]));
const CONFIGS: Record<SourceSystem, unknown> = {
  'civil-status': { baseUrl: 'http://127.0.0.1:9103', userName: 'u', passwordEnv: 'S', procedureMap: CIVIL_STATUS_PROCEDURES },
  land: { securityCodeEnv: 'S', office: { code: '000.00.20.H56', name: 'Văn phòng đăng ký đất đai tỉnh' }, procedureMap: { ...LAND_PROCEDURES, 'DKBD-CN': '1.012765' } },
  'business-registration': { baseUrl: 'http://127.0.0.1:9104', username: 'u', passwordEnv: 'S', procedureMap: BUSINESS_PROCEDURES },
};
const targets = {
  province: { baseUrl: 'http://127.0.0.1:9101', clientId: 'c', clientSecretEnv: 'S' },
  dvcqg: { baseUrl: 'http://127.0.0.1:9102', username: 'u', passwordEnv: 'S', madonvi: '000.00.00.H56', dstcode: 'D' },
};

for (const id of Object.keys(registry) as SourceSystem[]) {
  describe(`adapter contract: ${id}`, () => {
    const entry = registry[id] as AdapterEntry<never>;
    const config = resolveConfig({ province: { code: 'H56' }, procedures: catalog, sources: { [id]: CONFIGS[id] }, targets }, { S: 'secret' });
    const sourceConfig = config.sources[id]!;
    const adapter: Adapter = entry.create(sourceConfig as never);

    it('has a configuration that parses, and a poller exactly when it is polled', () => {
      expect(configFile.shape.sources.unwrap().shape[id].unwrap().safeParse(CONFIGS[id]).success).toBe(true);
      expect(adapter.id).toBe(id);
      expect(Boolean(entry.createPoller)).toBe(entry.transport === 'poll');
    });

    const groups = FIXTURES[id]();
    it('has fixtures', () => expect(groups.length).toBeGreaterThan(0));

    it('maps every fixture to a valid canonical dossier, the same way every time', () => {
      for (const records of groups) {
        const mapped = records.map((r) => adapter.toFragment(r));
        const ordered = [...mapped].sort((a, b) => Date.parse(a.sourceTime ?? '1970-01-01T00:00:00Z') - Date.parse(b.sourceTime ?? '1970-01-01T00:00:00Z'));
        const folded = adapter.fold(ordered.map((m) => m.fragment));
        expect(folded).not.toBeNull();
        const decision = normalizeDossier(folded!, { procedureMap: sourceConfig.procedureMap, catalog, calendar: new WorkingCalendar() }, null);
        if (decision.kind !== 'dossier') throw new Error('expected a dossier');
        if (decision.hold) {
          // Only the held reasons of the model: a dossier not yet received, or a deliberately unmapped code.
          expect(['NOT_RECEIVED', 'UNMAPPED_PROCEDURE'], decision.hold.detail).toContain(decision.hold.reason);
          continue;
        }
        const strict = canonicalDossier.omit({ version: true }).safeParse(decision.dossier);
        expect(strict.success, JSON.stringify(strict.error?.issues[0])).toBe(true);
        const again = adapter.fold(records.map((r) => adapter.toFragment(r)).sort((a, b) => Date.parse(a.sourceTime ?? '1970-01-01T00:00:00Z') - Date.parse(b.sourceTime ?? '1970-01-01T00:00:00Z')).map((m) => m.fragment));
        expect(again).toEqual(folded);
      }
    });
  });
}
