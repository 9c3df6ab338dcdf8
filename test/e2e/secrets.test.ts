import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskId } from '../../contracts';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import type { CivilStatusDetail } from '../../sandbox/civil-status/store';
import { FAULT_KINDS } from '../../sandbox/shared/faults';
import { sandboxConfigFile, sandboxSecrets } from '../../src/runtime/sandbox-mode';
import { checkBusiness } from '../support/check-business';
import { checkCivilStatus } from '../support/check-civil-status';
import { checkLand } from '../support/check-land';
import { signIn, startGatewayProcess, waitFor, writeJson, type GatewayProcess } from '../support/gateway-process';
import { leaks, personalValues, unstructured, type PersonalValue } from '../support/leaks';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';
import { E2E_LAND_RESENDS_MS } from '../support/world';

/**
 * Secrets and personal data, end to end over all three sources. Realistic traffic (every
 * simulator failing a tenth of its requests) plus hostile and refused inputs: land callbacks with a
 * wrong security code, bad JSON carrying a person's name and ID, a missing field and a time field
 * holding personal data; unmapped and unreceived dossiers; SOAP faults and a DOCTYPE answer from the
 * business service; a maintenance window at the civil-status system; the national portal refusing
 * every death registration (its catalogue names the procedure differently). The gateway runs at
 * debug level. Then every log line, /metrics, every answer to the land system and every error
 * answer and list page an operator sees are searched for each secret and each personal value.
 *
 * The promise (README, "The console" and "Health, metrics and logs"): personal data never reaches a
 * log line, a metric, an answer to a sender, an error body or a list page. An authorised operator's
 * dossier view shows the dossier: the API's dossier view its canonical content, the console's
 * dossier page names with personal IDs masked (no phone, e-mail or address); a refused body is
 * kept verbatim and shown to operators who open it. Secrets appear nowhere, not even there.
 */
const unique = Math.random().toString(36).slice(2, 10);
const CREDENTIALS = {
  province: { clientSecret: `province-secret-${unique}` },
  dvcqg: { password: `dvcqg-password-${unique}` },
  civilStatus: { password: `civil-password-${unique}` },
  land: { securityCode: `land-code-${unique}` },
  business: { username: `soap-user-${unique}`, password: `soap-password-${unique}` },
};
const ADMIN_PASSWORD = `admin-password-${unique}`;
/** Personal data of this test's own hostile callbacks (not in any simulator). */
const PLANTED: PersonalValue[] = [
  { kind: 'name', value: 'Lê Thị Hà' },
  { kind: 'id', value: '038199004321' },
  { kind: 'phone', value: '0912000777' },
  { kind: 'email', value: 'le.thi.ha@example.vn' },
  { kind: 'address', value: 'Số 9 ngõ 4 phố Hàng Bạc' },
];
const planted = Object.fromEntries(PLANTED.map((p) => [p.kind, p.value])) as Record<PersonalValue['kind'], string>;
/**
 * Civil-status dossiers of a commune whose agency code names another province: the province takes
 * them, the national portal refuses them (item error 2), and they wait for an operator.
 */
const REFUSED_BY_PORTAL = ['HT-380-2603-990001', 'HT-380-2603-990002'];
const birth = JSON.parse(readFileSync(new URL('../../adapters/civil-status/fixtures/civil-status-birth.json', import.meta.url), 'utf8')) as CivilStatusDetail;

const LAND_REORDER_WINDOW_SECONDS = 3;

describe('secrets and personal data stay out of logs, metrics and error bodies (all three sources)', () => {
  let sandbox: RunningSandbox;
  let proxies: RecordingProxy[];
  let dir: string;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    const faults = (seed: number) => ({ rate: 0.1, seed, kinds: [...FAULT_KINDS], slowMs: [100, 600] as [number, number], retryAfterSeconds: 1 });
    sandbox = await startSandbox({
      generator: false,
      seed: 29,
      province: { ...CREDENTIALS.province, faults: faults(2901) },
      dvcqg: { ...CREDENTIALS.dvcqg, faults: faults(2902) },
      civilStatus: { ...CREDENTIALS.civilStatus, faults: faults(2903) },
      land: { ...CREDENTIALS.land, resendScheduleMs: E2E_LAND_RESENDS_MS, duplicateRate: 0.05, duplicateDelayMs: 500, faults: faults(2904) },
      // SOAP faults (soap:Server HE_THONG_BAN or a 503 page) on a quarter of the business calls.
      business: { ...CREDENTIALS.business, faults: { rate: 0.25, seed: 2905, kinds: ['5xx'] } },
    });
    // The gateway reaches the systems that issue it tokens and sessions through proxies that note them.
    proxies = await Promise.all([sandbox.province.url, sandbox.dvcqg.url, sandbox.civilStatus.url].map(startRecordingProxy));
    const [province, dvcqg, civilStatus] = proxies as [RecordingProxy, RecordingProxy, RecordingProxy];
    dir = mkdtempSync(join(tmpdir(), 'lienthong-secrets-'));
    const file = sandboxConfigFile(sandbox, { pollIntervalSeconds: 1, startFrom: '2026-01-01T00:00:00+07:00', reorderWindowSeconds: LAND_REORDER_WINDOW_SECONDS });
    const config = {
      ...file,
      sources: {
        'civil-status': { ...file.sources['civil-status'], baseUrl: civilStatus.url, overlapSeconds: 10, timeoutMs: 2_000 },
        land: file.sources.land,
        'business-registration': { ...file.sources['business-registration'], overlapSeconds: 10, timeoutMs: 3_000 },
      },
      targets: {
        province: { ...file.targets.province, baseUrl: province.url, timeoutMs: 2_000 },
        dvcqg: { ...file.targets.dvcqg, baseUrl: dvcqg.url, timeoutMs: 2_000 },
      },
      delivery: { retryBudgetHours: 24, backoffBaseMs: 200, backoffMaxMs: 2_000, leaseSeconds: 30, idlePollMs: 100 },
    };
    gateway = await startGatewayProcess({
      env: {
        LIENTHONG_CONFIG: writeJson(dir, 'lienthong.json', config),
        LIENTHONG_DB: join(dir, 'lienthong.db'),
        LIENTHONG_ADMIN_PASSWORD: ADMIN_PASSWORD,
        LOG_LEVEL: 'debug',
        ...sandboxSecrets(sandbox),
      },
    });
    sandbox.land.sim.setTarget(gateway.url);
  });
  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await sandbox?.close();
    await Promise.all((proxies ?? []).map((p) => p.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the search itself finds a planted needle however it is written', () => {
    const needle = 'Nguyễn Thị Ánh "Tuyết" & con';
    for (const text of [
      `{"msg":"x","who":${JSON.stringify(needle)}}`,
      `<td>${needle.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}</td>`,
      `/console/dossiers?q=${encodeURIComponent(needle)}`,
      `q=${new URLSearchParams({ q: needle.normalize('NFD') }).toString().slice(2)}`,
      `name: ${needle.normalize('NFD')}`,
    ]) {
      expect(leaks([text], [needle]), text).toHaveLength(1);
    }
    expect(leaks(['nothing to see'], [needle])).toEqual([]);
  });

  it('keeps every secret out of everything, and personal data out of everything but an authorised dossier view', { timeout: 300_000 }, async () => {
    const { url } = gateway;
    const code = CREDENTIALS.land.securityCode;
    const cookie = await signIn(url, 'admin', ADMIN_PASSWORD);
    const asAdmin = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { cookie, ...init.headers } });
    const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const created = (await (await asAdmin('/api/v1/tokens', json({ name: 'secrets-test', role: 'viewer' }))).json()) as { token: string };
    const viewerToken = created.token;
    expect(viewerToken).toMatch(/^lt_/);

    for (const maHoSo of REFUSED_BY_PORTAL) sandbox.civilStatus.sim.state.put({ ...structuredClone(birth), maHoSo, maDonVi: '000.00.16.H99' });
    const generating = Promise.all([
      sandbox.civilStatus.sim.generator.run({ count: 40, durationMs: 10_000, changes: [1, 3], seed: 29, unmappedShare: 0.15 }),
      sandbox.land.sim.generator.run({ count: 40, durationMs: 10_000, seed: 29 }),
      sandbox.business.sim.generator.run({ count: 40, durationMs: 10_000, changes: [1, 3], seed: 29 }),
    ]);

    // What the land system is told about its bad callbacks: each answered, none repeating its content.
    const person = { HoTen: planted.name, SoChungMinh: planted.id, SoDienThoai: planted.phone, Email: planted.email, DiaChiChiTiet: planted.address };
    const post = (path: string, body: string, type = 'application/json; charset=utf-8') => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const senderAnswers: string[] = [];
    const hostile: [string, string, string?][] = [
      // Bad JSON around a person's name and ID: the parser's own message would quote the body.
      [`/ingest/land/${code}/TiepNhanHoSo`, `{"SoBienNhan": "VPDK-260301-9001", "ThongTinNguoiNopDon": {"SoChungMinh": "${planted.id}", "HoTen": ${planted.name}}}`],
      [`/ingest/land/${code}/TiepNhanHoSo`, `${planted.name} ${planted.id} ${planted.phone}`],
      [`/ingest/land/${code}/TiepNhanHoSo`, JSON.stringify({ NgayTiepNhan: '2026-03-02T01:30:00', ThongTinNguoiNopDon: person })],
      // A sender's columns shifted: personal data where a time belongs.
      [`/ingest/land/${code}/TiepNhanHoSo`, JSON.stringify({ SoBienNhan: 'VPDK-260301-9002', NgayTiepNhan: planted.name, NgayHenTra: planted.phone, ThongTinNguoiNopDon: person })],
      [`/ingest/land/${code}/ChuyenHoSo`, JSON.stringify({ SoBienNhan: 'VPDK-260301-9003', NgayChuyen: planted.email, NoiDungXuLy: planted.address })],
      [`/ingest/land/${code}/XoaHoSo`, JSON.stringify({ SoBienNhan: 'VPDK-260301-9004', ThongTinNguoiNopDon: person })],
      [`/ingest/land/${code}/TiepNhanHoSo`, `HoTen=${planted.name}&SoChungMinh=${planted.id}`, 'application/x-www-form-urlencoded'],
      [`/ingest/land/${code}/TiepNhanHoSo`, JSON.stringify({ SoBienNhan: 'VPDK-260301-9005', ThongTinNguoiNopDon: person, pad: 'x'.repeat(1_100_000) })],
    ];
    for (const [path, body, type] of hostile) {
      const res = await post(path, body, type);
      expect([400, 415], path).toContain(res.status);
      senderAnswers.push(await res.text());
    }
    // A wrong security code, with a real-looking reception: refused, nothing kept.
    const wrong = await post(`/ingest/land/not-the-${code}/TiepNhanHoSo`, JSON.stringify({ SoBienNhan: 'VPDK-260301-9006', ThongTinNguoiNopDon: person }));
    expect(wrong.status).toBe(401);
    senderAnswers.push(await wrong.text());

    // The civil-status system in maintenance for a moment; the business service answering a DOCTYPE.
    sandbox.civilStatus.sim.setMaintenance(true);
    await new Promise((r) => setTimeout(r, 2_500));
    sandbox.civilStatus.sim.setMaintenance(false);
    const status = async () =>
      (await (await asAdmin('/api/v1/sync/status')).json()) as {
        targets: Record<string, { counts: Record<string, number> }>;
        sources: Record<string, { rejected: number; lastError?: string | null }>;
      };
    const businessRejected = (await status()).sources['business-registration']!.rejected;
    sandbox.business.sim.setHostile('doctype');
    await waitFor('the DOCTYPE answer refused', async () => (await status()).sources['business-registration']!.rejected > businessRejected, 60_000, 200);
    sandbox.business.sim.setHostile(null);

    await generating;
    await sandbox.land.sim.whenIdle(120_000);
    // Everything delivered that can be: land and business in full, civil-status but the portal's refusals.
    const refusedCodes = new Set(REFUSED_BY_PORTAL);
    const remaining = () => [
      ...checkLand(sandbox, LAND_REORDER_WINDOW_SECONDS).problems,
      ...checkBusiness(sandbox).problems,
      ...checkCivilStatus(sandbox).problems.filter((p) => !(refusedCodes.has(p.split(':')[0]!) && p.endsWith('not held by the national portal'))),
    ];
    await waitFor('every deliverable dossier delivered', () => remaining().length === 0, 180_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}\n${remaining().slice(0, 10).join('\n')}`);
    });
    await waitFor(
      'no delivery left to try',
      async () => Object.values((await status()).targets).every((t) => (t.counts['pending'] ?? 0) + (t.counts['retrying'] ?? 0) === 0),
      120_000,
      500,
    );
    const final = await status();
    expect(final.targets['dvcqg']!.counts['failed'], 'deliveries refused by the portal').toBeGreaterThan(0);

    // Everything an operator and a sender can be shown, by what it may hold.
    const text = async (path: string, init?: RequestInit) => (await asAdmin(path, init)).text();
    const problems = (await (await asAdmin('/api/v1/problems')).json()) as {
      deliveries: { samples: { source: string; externalId: string }[] }[];
      rejected: { samples: { id: number }[] }[];
      held: { samples: string[] }[];
    };
    expect(problems.deliveries.length).toBeGreaterThan(0);
    const rejectedIds = problems.rejected.flatMap((g) => g.samples.map((s) => s.id));
    expect(rejectedIds.length).toBeGreaterThanOrEqual(hostile.length);
    const realIds = personalValues(sandbox).filter((p) => p.kind === 'id');
    const someId = realIds[0]!.value;
    const stripSearchBox = (html: string, q: string) => html.split(`value="${q}"`).join('value=""');
    const lists = [
      JSON.stringify(problems),
      await text('/api/v1/sync/status'),
      await text('/api/v1/dossiers?q=VPDK'),
      await text('/api/v1/dossiers?q=HT'),
      await text(`/api/v1/dossiers?q=${someId}`),
      await text(`/api/v1/dossiers?q=${encodeURIComponent(planted.id)}`),
      await text('/api/v1/drift'),
      await text('/api/v1/mappings'),
      await text('/api/v1/audit'),
      await text('/api/v1/tokens'),
      await text('/openapi.json'),
      await text('/console'),
      await text('/console?lang=en'),
      await text('/console/problems'),
      await text('/console/dossiers?q=VPDK'),
      // The search box shows what the operator typed; the results must not.
      stripSearchBox(await text(`/console/dossiers?q=${someId}`), someId),
      await text('/console/drift'),
      await text('/console/admin'),
      await text('/docs'),
    ];
    const searched = JSON.parse(lists[4]!) as { items: unknown[] };
    expect(searched.items.length, 'a search by personal ID finds its dossier').toBeGreaterThan(0);
    const errors = [
      await text('/api/v1/dossiers/land/VPDK-000000-0000'),
      await text('/api/v1/rejected/999999'),
      await text('/api/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"name": ${planted.name}}` }),
      await text('/api/v1/tokens', json({ name: planted.name, role: planted.id })),
      await text(`/api/v1/users/clerk`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'x', role: 'viewer' }) }),
      await text('/console/dossiers/land/VPDK-000000-0000'),
      await (await fetch(`${url}/api/v1/problems`)).text(),
      await (await fetch(`${url}/console/problems`)).text(),
      await (await fetch(`${url}/api/v1/deliveries/replay`, { ...json({ target: 'dvcqg' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${viewerToken}` } })).text(),
      await (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer lt_not-a-token' } })).text(),
    ];
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${viewerToken}` } })).text();
    // Node's own process figures are there too (the soak reads them).
    expect(Number(/^process_resident_memory_bytes (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(10 * 2 ** 20);
    expect(metrics).toMatch(/^nodejs_active_handles \d+/m);

    // What an authorised operator opens on purpose: dossiers of each source (held ones too), refused bodies.
    const dossierRefs = [
      ...sandbox.land.sim.state.dossiers().slice(0, 4).map((d) => ['land', d.soBienNhan] as const),
      ...sandbox.civilStatus.sim.state.dossiers().slice(0, 6).map((d) => ['civil-status', d.maHoSo] as const),
      ...sandbox.business.sim.state.dossiers().slice(0, 4).map((d) => ['business-registration', d.MaHoSo] as const),
      ...problems.deliveries.flatMap((g) => g.samples.slice(0, 2).map((s) => [s.source, s.externalId] as const)),
    ];
    const apiViews: string[] = [];
    const consoleViews: string[] = [];
    for (const [source, id] of dossierRefs) {
      const api = await asAdmin(`/api/v1/dossiers/${source}/${encodeURIComponent(id)}`);
      const page = await asAdmin(`/console/dossiers/${source}/${encodeURIComponent(id)}`);
      if (api.status === 404) continue; // a refused record (an unknown procedure's fields) makes no dossier
      expect([api.status, page.status], `${source} ${id}`).toEqual([200, 200]);
      apiViews.push(await api.text());
      consoleViews.push(await page.text());
    }
    expect(consoleViews.length).toBeGreaterThan(8);
    const rejectedViews: string[] = [];
    for (const id of rejectedIds) rejectedViews.push(await text(`/api/v1/rejected/${id}`), await text(`/console/rejected/${id}`));

    // The console's one-time answer to a token created there shows the token once, and only there.
    const consoleToken = /lt_[A-Za-z0-9_-]{16,}/.exec(
      await text('/console/admin/tokens', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url }, body: 'name=shown-once&role=viewer' }),
    )?.[0];
    expect(consoleToken).toBeDefined();
    lists.push(await text('/console/admin'), await text('/api/v1/tokens'));

    await new Promise((r) => setTimeout(r, 1_000)); // the last requests' log lines
    const db = new Database(join(dir, 'lienthong.db'), { readonly: true });
    const sessionSecret = (db.prepare(`SELECT value FROM settings WHERE key = 'session-secret'`).get() as { value: string }).value;
    db.close();
    const captured = proxies.map((p) => p.secrets());
    for (const [i, found] of captured.entries()) expect(found.length, `credentials seen by proxy ${i}`).toBeGreaterThan(0);
    const secrets = [
      ...Object.values(sandboxSecrets(sandbox)),
      CREDENTIALS.business.username,
      ADMIN_PASSWORD,
      decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1)),
      sessionSecret,
      viewerToken,
      consoleToken!,
      ...captured.flat(),
    ];
    const personal = [...personalValues(sandbox), ...PLANTED];
    expect(personal.length).toBeGreaterThan(150);
    const everything = personal.map((p) => p.value);
    const logs = gateway.logs;
    expect(logs.length).toBeGreaterThan(200);
    expect(logs.filter((l) => l.includes('"level":"debug"')).length, 'debug lines were written').toBeGreaterThan(0);
    expect(unstructured(logs)).toEqual([]);

    console.log(
      `secrets e2e: ${secrets.length} secrets (${captured.flat().length} tokens and sessions seen on the wire) and ${personal.length} personal values looked for in ` +
        `${logs.length} log lines, /metrics, ${senderAnswers.length} answers to the land system, ${errors.length} error bodies, ${lists.length} list pages and ` +
        `${apiViews.length + consoleViews.length + rejectedViews.length} detail views`,
    );
    // Never anywhere: no secret in logs, metrics, answers, error bodies, list pages or detail views.
    expect(leaks([...logs, metrics, ...senderAnswers, ...errors, ...lists, ...apiViews, ...consoleViews, ...rejectedViews], secrets)).toEqual([]);
    // No personal data in logs, metrics, answers to senders, error bodies or list pages.
    expect(leaks(logs, everything), 'logs').toEqual([]);
    expect(leaks([metrics], everything), 'metrics').toEqual([]);
    expect(leaks(senderAnswers, everything), 'answers to the land system').toEqual([]);
    expect(leaks(errors, everything), 'error bodies').toEqual([]);
    expect(leaks(lists, everything), 'list pages').toEqual([]);
    // The console's dossier page: names, but personal IDs masked and no phone, e-mail or address.
    expect(leaks(consoleViews, personal.filter((p) => p.kind !== 'name').map((p) => p.value)), 'console dossier pages').toEqual([]);

    // The views that may show personal data do: the checks above had something to find.
    expect(leaks(apiViews, everything).length, 'the API dossier view holds the dossier').toBeGreaterThan(5);
    const shownIds = realIds.filter((p) => consoleViews.some((v) => v.includes(maskId(p.value))));
    expect(shownIds.length, 'the console shows personal IDs masked').toBeGreaterThan(0);
    expect(leaks(rejectedViews, [planted.name, planted.id]), 'refused bodies are kept verbatim for operators').toHaveLength(2);
  });
});
