import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type FaultConfig, type RunningSandbox } from '../../sandbox';
import { CIVIL_STATUS_PROCEDURES, NATIONAL_CATALOG } from '../../sandbox/catalog';
import { sandboxConfigFile, sandboxSecrets } from '../../src/runtime/sandbox-mode';
import { startGatewayProcess, writeJson, type GatewayProcess } from './gateway-process';

/**
 * The civil-status end-to-end world: the simulators in this process (their state survives the
 * gateway being killed), the gateway as a separate process, and a check that reads what the
 * simulated targets hold and compares it with what the civil-status system holds, computed here
 * independently of the gateway's own mapping code.
 */
export const E2E_ADMIN_PASSWORD = 'e2e-admin-password';

export interface World {
  sandbox: RunningSandbox;
  dir: string;
  gateway?: GatewayProcess;
  startGateway(): Promise<GatewayProcess>;
  close(): Promise<void>;
}

export async function createWorld(options: { faults?: FaultConfig; seed?: number } = {}): Promise<World> {
  const sandbox = await startSandbox({
    generator: false,
    seed: options.seed,
    ...(options.faults
      ? {
          province: { faults: { ...options.faults, seed: options.faults.seed + 1 } },
          dvcqg: { faults: { ...options.faults, seed: options.faults.seed + 2 } },
          civilStatus: { faults: { ...options.faults, seed: options.faults.seed + 3 } },
        }
      : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'lienthong-e2e-'));
  const file = sandboxConfigFile(sandbox, { pollIntervalSeconds: 1, startFrom: '2026-01-01T00:00:00+07:00' });
  const config = {
    ...file,
    sources: { 'civil-status': { ...file.sources['civil-status'], overlapSeconds: 10, timeoutMs: 2_000 } },
    targets: {
      province: { ...file.targets.province, timeoutMs: 2_000 },
      dvcqg: { ...file.targets.dvcqg, timeoutMs: 2_000 },
    },
    delivery: { retryBudgetHours: 24, backoffBaseMs: 200, backoffMaxMs: 2_000, leaseSeconds: 30, idlePollMs: 100 },
  };
  const configPath = writeJson(dir, 'lienthong.json', config);
  const world: World = {
    sandbox,
    dir,
    async startGateway() {
      world.gateway = await startGatewayProcess({
        env: { LIENTHONG_CONFIG: configPath, LIENTHONG_DB: join(dir, 'lienthong.db'), LIENTHONG_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD, LOG_LEVEL: 'debug', ...sandboxSecrets(sandbox) },
      });
      return world.gateway;
    },
    async close() {
      await world.gateway?.kill('SIGKILL');
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

const CIVIL_TO_NATIONAL: Record<number, number> = { 1: 1, 2: 5, 3: 4, 4: 9, 6: 3 };

/** `dd/MM/yyyy HH:mm:ss` (Vietnam) -> `yyyyMMddHHmmss` and ISO +07:00, independently of src/. */
function vnTimes(value: string) {
  const [, d, mo, y, h, mi, s] = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value)!;
  return { compact: `${y}${mo}${d}${h}${mi}${s}`, iso: `${y}-${mo}-${d}T${h}:${mi}:${s}+07:00`, province: `${y}-${mo}-${d} ${h}:${mi}:${s}` };
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!m) return undefined;
  return m[1]!
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .normalize('NFC');
}

function ownerName(module: string, xml: string): string {
  if (module === 'LTKS') return xmlText(xml, 'nksHoTen') ?? xmlText(xml, 'nycHoTen')!;
  if (module === 'LTKT') return xmlText(xml, 'nktHoTen') ?? xmlText(xml, 'nycHoTen')!;
  return `${xmlText(xml, 'chongHoTen')} - ${xmlText(xml, 'voHoTen')}`;
}

export interface Check {
  expectedHeld: number;
  expectedNotHeld: number;
  problems: string[];
}

/** Compares what the targets hold with what the source holds; no problems means fully and correctly delivered. */
export function checkTargets(sandbox: RunningSandbox): Check {
  const problems: string[] = [];
  const province = sandbox.province.sim.state.dossiers().filter((d) => d['HeThongNguon'] === 'civil-status');
  const portal = new Map(sandbox.dvcqg.sim.state.dossiers().map((d) => [d.MaHoSo, d]));
  let expectedHeld = 0;
  let expectedNotHeld = 0;
  const bySource = new Map<string, typeof province>();
  for (const p of province) {
    const key = String(p['MaHoSoNguon']);
    bySource.set(key, [...(bySource.get(key) ?? []), p]);
  }
  for (const src of sandbox.civilStatus.sim.state.dossiers()) {
    const held = bySource.get(src.maHoSo) ?? [];
    const mapped = Object.hasOwn(CIVIL_STATUS_PROCEDURES, src.maTTHC);
    if (!mapped || src.ngayTiepNhan === null) {
      expectedNotHeld++;
      if (held.length > 0) problems.push(`${src.maHoSo}: ${mapped ? 'not received' : 'unmapped'} but held by the province`);
      continue;
    }
    expectedHeld++;
    if (held.length !== 1) {
      problems.push(`${src.maHoSo}: held ${held.length} times by the province`);
      continue;
    }
    const p = held[0]!;
    const national = CIVIL_STATUS_PROCEDURES[src.maTTHC]!;
    const status = CIVIL_TO_NATIONAL[src.trangThai]!;
    const expectedSteps = src.lichSu.map((h) => `${vnTimes(h.thoiGianThucHien).iso}|${CIVIL_TO_NATIONAL[h.trangThai]}|${h.noiDungXuLy.normalize('NFC')}`);
    const provinceSteps = p.TienTrinh.map((s) => `${s['ThoiDiemXuLy']}|${s['TrangThai']}|${s['NoiDungXuLy']}`);
    if (provinceSteps.join('\n') !== expectedSteps.join('\n')) {
      problems.push(`${src.maHoSo}: province steps ${provinceSteps.length} differ from the source's ${expectedSteps.length}`);
    }
    if (p['TrangThai'] !== status) problems.push(`${src.maHoSo}: province status ${p['TrangThai']} instead of ${status}`);
    if (p['MaTTHC'] !== national) problems.push(`${src.maHoSo}: province MaTTHC ${p['MaTTHC']}`);
    if (p['NgayTiepNhan'] !== vnTimes(src.ngayTiepNhan).province) problems.push(`${src.maHoSo}: province NgayTiepNhan ${p['NgayTiepNhan']}`);

    const n = portal.get(p.maHoSo);
    if (!n) {
      problems.push(`${src.maHoSo}: not held by the national portal`);
      continue;
    }
    const expect = {
      MaTTHC: national,
      TenTTHC: NATIONAL_CATALOG[national]!.name,
      MaLinhVuc: NATIONAL_CATALOG[national]!.sectorCode,
      TrangThaiHoSo: String(status),
      KenhThucHien: String(src.kenhNop),
      ChuHoSo: ownerName(src.module, src.data),
      NgayTiepNhan: vnTimes(src.ngayTiepNhan).compact,
      NgayHenTra: src.ngayHenTra ? vnTimes(src.ngayHenTra).compact : '',
      LoaiDoiTuong: '1',
    };
    for (const [field, value] of Object.entries(expect)) {
      if (n[field] !== value) problems.push(`${src.maHoSo}: portal ${field} is ${JSON.stringify(n[field])}, expected ${JSON.stringify(value)}`);
    }
    const finished = [3, 9].includes(status);
    if (finished && !/^\d{14}$/.test(String(n['NgayKetThucXuLy']))) problems.push(`${src.maHoSo}: portal has no NgayKetThucXuLy`);
    const portalSteps = new Set(n.TienDo.map((s) => `${s['ThoiDiemXuLy']}|${s['TrangThai']}`));
    const wantedSteps = new Set(src.lichSu.map((h) => `${vnTimes(h.thoiGianThucHien).compact}|${CIVIL_TO_NATIONAL[h.trangThai]}`));
    if (portalSteps.size !== wantedSteps.size || [...wantedSteps].some((k) => !portalSteps.has(k))) {
      problems.push(`${src.maHoSo}: portal steps ${portalSteps.size} differ from the source's ${wantedSteps.size}`);
    }
  }
  if (province.length !== expectedHeld) problems.push(`the province holds ${province.length} civil-status dossiers, expected ${expectedHeld}`);
  return { expectedHeld, expectedNotHeld, problems };
}
