import { makeFullName, THANH_HOA_COMMUNES } from '../shared/people';
import { createPacer } from '../shared/pacer';
import { createRandom, type Random } from '../shared/random';
import { formatSlashed, vnMs, vnParts } from '../shared/time';
import { planDossier, type DossierPlan, type QuirkShares, type Step } from './records';
import type { CivilStatusDetail, CivilStatusHistoryEntry, CivilStatusStatus, CivilStatusStore } from './store';

/**
 * Drives the civil-status world: creates dossiers and moves them through their lifecycle in real
 * time, each change stamping `ngayCapNhat` with the current second and appending to `lichSu`, as
 * commune clerks do. `run` is a bounded scenario for tests and benchmarks; `start` a demo stream.
 */
export interface GeneratorRunOptions {
  count: number;
  /** Changes per dossier after its creation, inclusive range. Default [1, 4]. */
  changes?: [number, number];
  /** Creations and changes are spread over this much real time. */
  durationMs: number;
  /** Default 0.1. */
  unmappedShare?: number;
  seed?: number;
  /** End every dossier in 4 or 6 (default true; impossible when changes allow 0). */
  finish?: boolean;
  quirks?: QuirkShares;
  /** Share of online dossiers that start not yet received. Default 0.5. */
  pendingShare?: number;
}

export interface GeneratorStartOptions {
  newPerMinute: number;
  /** Each dossier's changes happen within this long after its creation. Default 90 s. */
  lifetimeMs?: number;
  changes?: [number, number];
  unmappedShare?: number;
  seed?: number;
  quirks?: QuirkShares;
}

export interface CreateOptions {
  changes?: [number, number];
  unmappedShare?: number;
  finish?: boolean;
  quirks?: QuirkShares;
  pendingShare?: number;
  seed?: number;
}

export interface CivilStatusGenerator {
  run(options: GeneratorRunOptions): Promise<void>;
  start(options: GeneratorStartOptions): void;
  stop(): void;
  isRunning(): boolean;
  /** Creates one dossier now; its planned changes are then applied one at a time with `advance`. */
  create(options?: CreateOptions): string;
  /** Applies the next planned change of a dossier now; answers its new trangThai, or undefined when none is left. */
  advance(maHoSo: string): CivilStatusStatus | undefined;
  /** The changes still planned for a dossier. */
  pendingSteps(maHoSo: string): Step[];
  reset(): void;
}

interface Staff {
  clerk: { name: string; title: string };
  leader: { name: string; title: string };
}

const CLERK_TITLE = 'Công chức tư pháp - hộ tịch';
/** Intermediate steps of a dossier in progress, in the order a commune handles them. */
const PROGRESS: readonly (readonly ['clerk' | 'leader', string])[] = [
  ['clerk', 'Thẩm định hồ sơ'],
  ['clerk', 'Trình lãnh đạo ký duyệt'],
  ['leader', 'Đã ký duyệt'],
  ['clerk', 'Ghi sổ hộ tịch'],
];
const DAY = 86_400_000;
const isWorkday = (weekday: number) => weekday >= 1 && weekday <= 5;

/** Same-day procedures (births) received on a working day before 15:00 are due at 17:00; others the next working day at 17:00. */
export function dueDate(receivedAt: number, sameDay: boolean): number {
  const p = vnParts(receivedAt);
  if (sameDay && isWorkday(p.weekday) && p.hour < 15) return vnMs(p.year, p.month, p.day, 17)!;
  let t = receivedAt;
  do t += DAY;
  while (!isWorkday(vnParts(t).weekday));
  const q = vnParts(t);
  return vnMs(q.year, q.month, q.day, 17)!;
}

export function createCivilStatusGenerator(store: CivilStatusStore, now: () => number, seed: number): CivilStatusGenerator {
  let random = createRandom(seed);
  const staff = new Map<string, Staff>();
  {
    const staffRandom = createRandom(seed ^ 0x5eed);
    for (const commune of THANH_HOA_COMMUNES) {
      const clerkName = commune.agencyCode === '000.00.16.H56' ? 'Phạm Thu Trang' : makeFullName(staffRandom, staffRandom.chance(0.6) ? 'F' : 'M').fullName;
      staff.set(commune.agencyCode, {
        clerk: { name: clerkName, title: CLERK_TITLE },
        leader: { name: makeFullName(staffRandom, staffRandom.chance(0.3) ? 'F' : 'M').fullName, title: `Phó Chủ tịch UBND ${commune.placeName}` },
      });
    }
  }
  let sequence = 0;
  let fileSequence = 55_000;
  const resultSequence = new Map<number, number>();
  const planned = new Map<string, { plan: DossierPlan; next: number }>();

  const fileUrl = () => `https://hotich.example/files/${++fileSequence}`;

  function historyEntry(at: number, who: { name: string; title: string }, content: string, trangThai: CivilStatusStatus): CivilStatusHistoryEntry {
    return { thoiGianThucHien: formatSlashed(at), nguoiXuLy: who.name, chucDanh: who.title, noiDungXuLy: content, trangThai };
  }

  function receive(d: CivilStatusDetail, plan: DossierPlan, at: number, who: Staff['clerk']) {
    d.trangThai = 3;
    d.ngayTiepNhan = formatSlashed(at);
    d.ngayHenTra = formatSlashed(dueDate(at, plan.sameDay));
    d.lichSu.push(historyEntry(at, who, 'Tiếp nhận hồ sơ', 3));
  }

  function createFromPlan(plan: DossierPlan): string {
    const at = now();
    const p = vnParts(at);
    const maHoSo = `HT-380-${String(p.year % 100).padStart(2, '0')}${String(p.month).padStart(2, '0')}-${String(++sequence).padStart(6, '0')}`;
    const detail: CivilStatusDetail = {
      maHoSo,
      maHoSoLT: plan.maHoSoLT,
      maDonVi: plan.commune.agencyCode,
      tenDonVi: plan.commune.agencyName,
      module: plan.module,
      maTTHC: plan.maTTHC,
      ngayTiepNhan: null,
      ngayHenTra: null,
      kenhNop: plan.kenhNop,
      trangThai: 1,
      lichSu: [],
      data: plan.data,
      fileDinhKem: plan.files.map((tenFile) => ({ tenFile, duongDan: fileUrl() })),
      ketQuaXuLy: null,
    };
    if (!plan.pending) receive(detail, plan, at, staff.get(plan.commune.agencyCode)!.clerk);
    store.put(detail, at);
    planned.set(maHoSo, { plan, next: 0 });
    return maHoSo;
  }

  function applyStep(maHoSo: string): CivilStatusStatus | undefined {
    const entry = planned.get(maHoSo);
    const step = entry?.plan.steps[entry.next];
    if (!entry || !step || !store.get(maHoSo)) return undefined;
    entry.next++;
    const { plan } = entry;
    const { clerk, leader } = staff.get(plan.commune.agencyCode)!;
    const at = now();
    store.change(maHoSo, at, (d) => {
      switch (step) {
        case 'receive':
          receive(d, plan, at, clerk);
          break;
        case 'supplement':
          d.trangThai = 2;
          d.lichSu.push(historyEntry(at, clerk, `Yêu cầu bổ sung ${plan.supplementNeed}`, 2));
          break;
        case 'resupply':
          d.trangThai = 3;
          d.fileDinhKem.push({ tenFile: plan.supplementFile, duongDan: fileUrl() });
          d.ngayHenTra = formatSlashed(dueDate(at, plan.sameDay));
          d.lichSu.push(historyEntry(at, clerk, `Đã nhận ${plan.supplementNeed} bổ sung`, 3));
          break;
        case 'progress': {
          d.trangThai = 3;
          const done = d.lichSu.filter((h) => PROGRESS.some(([, content]) => content === h.noiDungXuLy)).length;
          const [by, content] = PROGRESS[done % PROGRESS.length]!;
          d.lichSu.push(historyEntry(at, by === 'clerk' ? clerk : leader, content, 3));
          break;
        }
        case 'result': {
          const year = vnParts(at).year;
          const n = (resultSequence.get(year) ?? 0) + 1;
          resultSequence.set(year, n);
          d.trangThai = 4;
          d.ketQuaXuLy = { soGiayTo: `${n}/${year}`, tenGiayTo: plan.resultName, duongDan: fileUrl() };
          d.lichSu.push(historyEntry(at, clerk, plan.resultContent, 4));
          break;
        }
        case 'reject':
          d.lichSu.push(historyEntry(at, clerk, `${d.trangThai === 1 ? 'Từ chối tiếp nhận hồ sơ' : 'Từ chối giải quyết'}: ${plan.rejectReason}`, 6));
          d.trangThai = 6;
          break;
      }
    });
    return store.get(maHoSo)!.trangThai;
  }

  const planOf = (r: Random, o: CreateOptions) =>
    planDossier(r, now(), {
      changes: o.changes ?? [1, 4],
      unmappedShare: o.unmappedShare ?? 0.1,
      finish: o.finish ?? true,
      ...(o.quirks ? { quirks: o.quirks } : {}),
      ...(o.pendingShare !== undefined ? { pendingShare: o.pendingShare } : {}),
    });

  const pacer = createPacer<DossierPlan>({ open: (plan) => createFromPlan(plan), step: (code) => applyStep(code), now });

  const generator: CivilStatusGenerator = {
    async run(options) {
      const r = options.seed !== undefined ? createRandom(options.seed) : random.fork();
      const plans = Array.from({ length: options.count }, () => planOf(r, options));
      await pacer.play(r, plans, { durationMs: options.durationMs, opensWithin: (plan) => (plan.steps.length > 0 ? 0.5 : 1) });
    },

    start(options) {
      pacer.stream(options.seed !== undefined ? createRandom(options.seed) : random.fork(), options, (r) => planOf(r, options));
    },

    stop: () => pacer.stop(),

    isRunning: () => pacer.isRunning(),

    create(options = {}) {
      return createFromPlan(planOf(options.seed !== undefined ? createRandom(options.seed) : random, options));
    },

    advance: applyStep,

    pendingSteps(maHoSo) {
      const entry = planned.get(maHoSo);
      return entry ? entry.plan.steps.slice(entry.next) : [];
    },

    reset() {
      generator.stop();
      random = createRandom(seed);
      sequence = 0;
      fileSequence = 55_000;
      resultSequence.clear();
      planned.clear();
    },
  };
  return generator;
}
