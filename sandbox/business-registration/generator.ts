import { makeFullName, THANH_HOA_COMMUNES } from '../shared/people';
import { createPacer } from '../shared/pacer';
import { createRandom, type Random } from '../shared/random';
import { formatIsoVn, vnMs, vnParts } from '../shared/time';
import { planDossier, PROVINCIAL_OFFICE, type DossierPlan, type QuirkShares, type Step } from './records';
import type { BusinessDossierInput, BusinessStatus, BusinessStore } from './store';

/**
 * Drives the business registration world: creates household-business and enterprise dossiers and
 * moves them through their lifecycle in real time. Every change appends a `<Buoc>` and stamps
 * ThoiDiemCapNhat, as an official's action does; some changes are made in one batch (a leader
 * signs several certificates at once), so several dossiers share one ThoiDiemCapNhat to the
 * millisecond. `run` is a bounded scenario for tests and benchmarks; `start` a demo stream.
 */
export interface GeneratorRunOptions {
  count: number;
  /** Changes per dossier after its creation, inclusive range. Default [1, 4]. */
  changes?: [number, number];
  /** Creations and changes are spread over this much real time. */
  durationMs: number;
  /** Default 0.08. */
  unmappedShare?: number;
  seed?: number;
  /** End every dossier (default true; impossible when changes allow 0). */
  finish?: boolean;
  /** Share of online dossiers that start not yet received (DA_NOP). Default 0.3. */
  pendingShare?: number;
  /** Chance that a change opens a batch: it and the next 1 to 7 changes made in one instant. Default 0.1. */
  batchShare?: number;
  quirks?: QuirkShares;
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
  pendingShare?: number;
  quirks?: QuirkShares;
  seed?: number;
}

export interface BusinessGenerator {
  run(options: GeneratorRunOptions): Promise<void>;
  start(options: GeneratorStartOptions): void;
  stop(): void;
  isRunning(): boolean;
  /** Creates one dossier now; its planned changes are then applied one at a time with `advance`. */
  create(options?: CreateOptions): string;
  /** Applies the next planned change of a dossier now; answers its new TrangThai, or undefined when none is left. */
  advance(maHoSo: string): BusinessStatus | undefined;
  /** The changes still planned for a dossier. */
  pendingSteps(maHoSo: string): Step[];
  reset(): void;
}

interface Staff {
  clerk: string;
  leader: string;
}

/** Working days a registration takes (every business procedure of the catalogue has 3). */
const STATUTORY_DAYS = 3;
const DAY = 86_400_000;
/** Successive processing steps, in the order an office handles them. */
const PROCESSING = ['Chuyển xử lý', 'Thẩm định hồ sơ', 'Trình lãnh đạo phê duyệt'];
const isWorkday = (weekday: number) => weekday >= 1 && weekday <= 5;
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** 17:00 on the third working day after the day of reception (the spec's sample: Monday -> Thursday). */
function dueDate(receivedAt: number): number {
  let t = receivedAt;
  for (let left = STATUTORY_DAYS; left > 0; ) {
    t += DAY;
    if (isWorkday(vnParts(t).weekday)) left--;
  }
  const p = vnParts(t);
  return vnMs(p.year, p.month, p.day, 17)!;
}

export function createBusinessGenerator(store: BusinessStore, now: () => number, seed: number): BusinessGenerator {
  let random = createRandom(seed);
  const staff = new Map<string, Staff>();
  {
    const staffRandom = createRandom(seed ^ 0x5eed);
    const person = () => makeFullName(staffRandom, staffRandom.chance(0.5) ? 'F' : 'M').fullName;
    for (const commune of THANH_HOA_COMMUNES) staff.set(commune.agencyCode, { clerk: person(), leader: person() });
    staff.set(PROVINCIAL_OFFICE.code, { clerk: 'Vũ Minh Đức', leader: person() });
  }
  const sequence = { HKD: 0, DN: 0 };
  let fileSequence = 77_000;
  const planned = new Map<string, { plan: DossierPlan; next: number }>();

  const fileUrl = () => `https://dkkd.example/f/${++fileSequence}`;

  function step(d: BusinessDossierInput, at: number, CanBo: string, NoiDung: string, TrangThai: BusinessStatus) {
    d.TrangThai = TrangThai;
    d.LichSuXuLy.push({ ThoiDiem: formatIsoVn(at), CanBo, NoiDung, TrangThai });
  }

  function receive(d: BusinessDossierInput, plan: DossierPlan, at: number) {
    d.NgayTiepNhan = formatIsoVn(at);
    d.NgayHenTra = formatIsoVn(dueDate(at));
    // A household business gets its code when the registration is received (the spec's sample shows it while in progress).
    if (d.HoKinhDoanh && plan.newCode) d.HoKinhDoanh.MaSoHKD = plan.newCode;
    step(d, at, staff.get(plan.agency.code)!.clerk, 'Tiếp nhận hồ sơ', 'DA_TIEP_NHAN');
  }

  function createFromPlan(plan: DossierPlan, at: number): string {
    const p = vnParts(at);
    const kind = plan.enterprise ? 'DN' : 'HKD';
    const maHoSo = `${kind}-H56-${String(p.year % 100).padStart(2, '0')}${String(p.month).padStart(2, '0')}-${String(++sequence[kind]).padStart(5, '0')}`;
    const dossier: BusinessDossierInput = {
      MaHoSo: maHoSo,
      LoaiHoSo: plan.loaiHoSo,
      MaTTHC: plan.maTTHC,
      CoQuanTiepNhan: { MaDinhDanh: plan.agency.code, Ten: plan.agency.name },
      KenhNop: plan.kenhNop,
      NgayNop: formatIsoVn(at - plan.submittedAgoMs),
      TrangThai: 'DA_NOP',
      NguoiNop: structuredClone(plan.applicant),
      LePhi: structuredClone(plan.fees),
      LichSuXuLy: [],
      TaiLieu: plan.files.map((f) => (f.digitized ? { Ten: f.name, DuongDan: fileUrl() } : { Ten: f.name })),
      KetQua: [],
    };
    if (plan.household) dossier.HoKinhDoanh = structuredClone(plan.household);
    if (plan.enterprise) dossier.DoanhNghiep = structuredClone(plan.enterprise);
    if (!plan.pending) receive(dossier, plan, at);
    store.put(dossier, at);
    planned.set(maHoSo, { plan, next: 0 });
    return maHoSo;
  }

  function applyStep(maHoSo: string, at: number): BusinessStatus | undefined {
    const entry = planned.get(maHoSo);
    const next = entry?.plan.steps[entry.next];
    if (!entry || !next || !store.get(maHoSo)) return undefined;
    entry.next++;
    const { plan } = entry;
    const { clerk, leader } = staff.get(plan.agency.code)!;
    store.change(maHoSo, at, (d) => {
      switch (next) {
        case 'receive':
          receive(d, plan, at);
          break;
        case 'process': {
          const done = d.LichSuXuLy.filter((b) => PROCESSING.includes(b.NoiDung)).length;
          step(d, at, clerk, PROCESSING[Math.min(done, PROCESSING.length - 1)]!, 'DANG_XU_LY');
          break;
        }
        case 'supplement':
          step(d, at, clerk, `Yêu cầu bổ sung ${plan.supplementNeed}`, 'YEU_CAU_BO_SUNG');
          break;
        case 'resupply':
          d.TaiLieu.push({ Ten: upperFirst(plan.supplementNeed), DuongDan: fileUrl() });
          d.NgayHenTra = formatIsoVn(dueDate(at));
          step(d, at, clerk, `Đã nhận ${plan.supplementNeed} bổ sung`, 'DANG_XU_LY');
          break;
        case 'issue':
          if (d.DoanhNghiep && plan.newCode) d.DoanhNghiep.MaSoDoanhNghiep = plan.newCode;
          d.KetQua.push({ Ten: plan.resultName, DuongDan: fileUrl() });
          step(d, at, leader, `Cấp ${lowerFirst(plan.resultName)}`, 'DA_CAP_GCN');
          break;
        case 'deliver':
          step(d, at, clerk, 'Trả kết quả cho người nộp', 'DA_TRA_KET_QUA');
          break;
        case 'reject':
          step(d, at, clerk, `Từ chối tiếp nhận hồ sơ: ${plan.rejectReason}`, 'TU_CHOI');
          break;
        case 'withdraw':
          step(d, at, clerk, 'Người nộp yêu cầu rút hồ sơ', 'RUT_HO_SO');
          break;
        case 'stop':
          step(d, at, leader, `Dừng xử lý: ${plan.stopReason}`, 'DUNG_XU_LY');
          break;
      }
    });
    return store.get(maHoSo)!.TrangThai;
  }

  const planOf = (r: Random, o: CreateOptions) =>
    planDossier(r, {
      changes: o.changes ?? [1, 4],
      unmappedShare: o.unmappedShare ?? 0.08,
      finish: o.finish ?? true,
      pendingShare: o.pendingShare ?? 0.3,
      ...(o.quirks ? { quirks: o.quirks } : {}),
    });

  const pacer = createPacer<DossierPlan>({ open: (plan, stamp) => createFromPlan(plan, stamp), step: (code, stamp) => applyStep(code, stamp), now });

  const generator: BusinessGenerator = {
    async run(options) {
      const r = options.seed !== undefined ? createRandom(options.seed) : random.fork();
      const plans = Array.from({ length: options.count }, () => planOf(r, options));
      await pacer.play(r, plans, { durationMs: options.durationMs, opensWithin: (plan) => (plan.steps.length > 0 ? 0.5 : 1), batchShare: options.batchShare ?? 0.1 });
    },

    start(options) {
      pacer.stream(options.seed !== undefined ? createRandom(options.seed) : random.fork(), options, (r) => planOf(r, options));
    },

    stop: () => pacer.stop(),

    isRunning: () => pacer.isRunning(),

    create(options = {}) {
      return createFromPlan(planOf(options.seed !== undefined ? createRandom(options.seed) : random, options), now());
    },

    advance: (maHoSo) => applyStep(maHoSo, now()),

    pendingSteps(maHoSo) {
      const entry = planned.get(maHoSo);
      return entry ? entry.plan.steps.slice(entry.next) : [];
    },

    reset() {
      generator.stop();
      random = createRandom(seed);
      sequence.HKD = 0;
      sequence.DN = 0;
      fileSequence = 77_000;
      planned.clear();
    },
  };
  return generator;
}
