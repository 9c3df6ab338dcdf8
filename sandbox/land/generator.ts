import { createPacer } from '../shared/pacer';
import { createRandom } from '../shared/random';
import { formatYyMMdd, toSecond, vnParts } from '../shared/time';
import {
  planLandDossier,
  TRANSFER_CONTENT,
  type LandEventBody,
  type LandEventName,
  type LandPlan,
  type LandPlanShares,
  type LandStep,
  type TiepNhanHoSoBody,
} from './records';
import type { LandDossierHeader } from './store';
import { dueAfterWorkingDays, formatDotNetUtc } from './time';

/**
 * Drives the land office: receives dossiers and moves them through their lifecycle in real time,
 * each step stamped with the simulator clock at the moment it happens. A dossier's event times
 * strictly increase even when the clock stands still (tests) or two steps share a second: a step
 * that would not be later than the previous one is moved on by whole seconds. `run` is a bounded
 * scenario for tests, `start` the demo stream.
 */
export interface LandRunOptions extends LandPlanShares {
  count: number;
  /** Receptions and steps are spread over this much real time. */
  durationMs: number;
  seed?: number;
}

export interface LandStartOptions extends LandPlanShares {
  newPerMinute: number;
  /** Each dossier's steps happen within this long after its reception. Default 90 s. */
  lifetimeMs?: number;
  seed?: number;
}

export interface LandCreateOptions extends LandPlanShares {
  seed?: number;
}

export interface LandGenerator {
  run(options: LandRunOptions): Promise<void>;
  start(options: LandStartOptions): void;
  stop(): void;
  isRunning(): boolean;
  /** Receives one dossier now (emits `TiepNhanHoSo`) and answers its `SoBienNhan`. */
  create(options?: LandCreateOptions): string;
  /** Emits the dossier's next planned event now; answers its name, or undefined when none is left. */
  advance(soBienNhan: string): LandEventName | undefined;
  /** The events still planned for a dossier. */
  pendingSteps(soBienNhan: string): LandEventName[];
  reset(): void;
}

export interface LandEmission {
  soBienNhan: string;
  event: LandEventName;
  body: LandEventBody;
  at: number;
  sourceTime: string;
}

/** Where the generator's dossiers and events go (the store, then the pusher). */
export interface LandSink {
  open(header: LandDossierHeader): void;
  emit(emission: LandEmission): void;
}

interface Live {
  plan: LandPlan;
  /** Index of the next step. */
  next: number;
  lastAt: number;
  /** The current due date (moved by a supplement). */
  dueAt: number;
}

const THANH_HOA = 38;

export function createLandGenerator(sink: LandSink, now: () => number, seed: number): LandGenerator {
  let random = createRandom(seed);
  const live = new Map<string, Live>();
  /** SoBienNhan sequences per reception day (`yyMMdd`, Vietnam date). */
  const daily = new Map<string, number>();
  let fileSequence = 8800;
  let taxSequence = 7700;

  const fileUrl = () => `https://vbdlis.example/files/${++fileSequence}`;

  /** The event's time: now, whole-second or fractional as planned, strictly after the dossier's previous event. */
  function stamp(lastAt: number | undefined, extraTicks: number | null): { at: number; sourceTime: string } {
    let at = extraTicks === null ? toSecond(now()) : now();
    if (lastAt !== undefined && at <= lastAt) at += Math.ceil((lastAt - at + 1) / 1000) * 1000;
    return { at, sourceTime: formatDotNetUtc(at, extraTicks ?? 0) };
  }

  function receive(plan: LandPlan): string {
    const { at, sourceTime } = stamp(undefined, plan.fractions[0]!);
    const day = formatYyMMdd(at);
    const n = (daily.get(day) ?? 0) + 1;
    daily.set(day, n);
    const soBienNhan = `VPDK-${day}-${String(n).padStart(4, '0')}`;
    const dueAt = dueAfterWorkingDays(at, plan.statutoryDays);
    const body: TiepNhanHoSoBody = {
      SoBienNhan: soBienNhan,
      MaHoSoMotCua: null, // the one-stop system has never seen it
      NguoiTiepNhan: plan.receiver.name,
      NgayTiepNhan: sourceTime,
      NgayHenTra: formatDotNetUtc(dueAt),
      TinhId: THANH_HOA,
      HuyenId: plan.huyenId,
      XaId: plan.xaId,
      DiaChiTaiSan: plan.assetAddress,
      ThongTinNguoiNopDon: { ...plan.applicant },
      ThongTinQuyTrinh: { MaQuyTrinh: plan.maQuyTrinh, TenQuyTrinh: plan.tenQuyTrinh },
      ThongTinThuaDat: plan.parcels.map((p) => ({ ...p })),
      DanhSachGiayToDinhKem: plan.attachments.map((a) => ({
        TenGiayTo: a.name,
        SoBanChinh: a.originals,
        SoBanSao: a.copies,
        TapTin: a.file ? { name: a.file, url: fileUrl() } : null,
      })),
      KenhTiepNhan: plan.kenhTiepNhan,
    };
    sink.open({ soBienNhan, maQuyTrinh: plan.maQuyTrinh, tenQuyTrinh: plan.tenQuyTrinh, mapped: plan.mapped });
    sink.emit({ soBienNhan, event: 'TiepNhanHoSo', body, at, sourceTime });
    live.set(soBienNhan, { plan, next: 0, lastAt: at, dueAt });
    return soBienNhan;
  }

  function bodyOf(soBienNhan: string, step: LandStep, entry: Live, at: number, sourceTime: string): LandEventBody {
    switch (step.event) {
      case 'ChuyenHoSo': {
        const { content, days } = TRANSFER_CONTENT[step.status];
        return {
          SoBienNhan: soBienNhan,
          MaCanBoChuyen: step.from.username,
          MaCanBoNhan: step.to.username,
          MaTrangThai: step.status,
          NoiDungXuLy: content,
          NgayChuyen: sourceTime,
          HanXuLy: formatDotNetUtc(dueAfterWorkingDays(at, days)),
        };
      }
      case 'YeuCauBoSungHoSo':
        return { SoBienNhan: soBienNhan, NgayChoBoSung: sourceTime, MaCanBoXuLy: step.by.username, LaTamDung: true, GhiChu: step.note };
      case 'NhanBoSungHoSo':
        // The sandbox compresses weeks into a minute, so the paused working days that move the due
        // date are planned rather than measured from the clock.
        entry.dueAt = dueAfterWorkingDays(entry.dueAt, step.pausedWorkingDays);
        return { SoBienNhan: soBienNhan, NgayNhanBoSung: sourceTime, NgayHenTraMoi: formatDotNetUtc(entry.dueAt) };
      case 'GuiKetQuaThue': {
        const year = vnParts(at).year;
        return {
          SoBienNhan: soBienNhan,
          NgayCoKetQuaThue: sourceTime,
          DanhSachThongBaoThue: step.taxes.map((LoaiThue) => ({
            HoTenChu: entry.plan.applicant.HoTen,
            LoaiThue,
            SoThongBaoThue: `TB-${year}-${++taxSequence}`,
            DuongDanThongBaoThue: fileUrl(),
          })),
        };
      }
      case 'KetThucHoSo':
        return {
          SoBienNhan: soBienNhan,
          NgayKetThuc: sourceTime,
          MaCanBoXuLy: step.by.username,
          TrangThaiKetThuc: step.outcome,
          DanhSachGiayToKetQua:
            step.outcome === 0 ? entry.plan.resultNames.map((TenGiayTo) => ({ TenGiayTo, KieuFile: 'pdf', LinkFile: fileUrl(), SoBanSao: 0, SoBanChinh: 1 })) : [],
        };
    }
  }

  function advance(soBienNhan: string): LandEventName | undefined {
    const entry = live.get(soBienNhan);
    const step = entry?.plan.steps[entry.next];
    if (!entry || !step) return undefined;
    const { at, sourceTime } = stamp(entry.lastAt, entry.plan.fractions[entry.next + 1]!);
    entry.next++;
    entry.lastAt = at;
    sink.emit({ soBienNhan, event: step.event, body: bodyOf(soBienNhan, step, entry, at, sourceTime), at, sourceTime });
    if (entry.next === entry.plan.steps.length) live.delete(soBienNhan);
    return step.event;
  }

  const pacer = createPacer<LandPlan>({ open: (plan) => receive(plan), step: (code) => advance(code), now });

  const generator: LandGenerator = {
    async run(options) {
      const r = options.seed !== undefined ? createRandom(options.seed) : random.fork();
      const plans = Array.from({ length: options.count }, () => planLandDossier(r, options));
      await pacer.play(r, plans, { durationMs: options.durationMs, opensWithin: () => 0.5 });
    },

    start(options) {
      pacer.stream(options.seed !== undefined ? createRandom(options.seed) : random.fork(), options, (r) => planLandDossier(r, options));
    },

    stop: () => pacer.stop(),

    isRunning: () => pacer.isRunning(),

    create(options = {}) {
      return receive(planLandDossier(options.seed !== undefined ? createRandom(options.seed) : random, options));
    },

    advance,

    pendingSteps(soBienNhan) {
      const entry = live.get(soBienNhan);
      return entry ? entry.plan.steps.slice(entry.next).map((s) => s.event) : [];
    },

    reset() {
      generator.stop();
      random = createRandom(seed);
      live.clear();
      daily.clear();
      fileSequence = 8800;
      taxSequence = 7700;
    },
  };
  return generator;
}
