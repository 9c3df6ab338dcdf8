import { createLandGenerator, type LandEmission } from '../sandbox/land/generator';
import type { LandEventName } from '../sandbox/land/records';

/**
 * The end-to-end benchmark's dossiers: made by the land simulator's own generator, so each callback
 * body is byte for byte what the land system would send (names in NFC or NFD, fractional times,
 * tax notices, supplements, withdrawals), but captured instead of pushed, so that the benchmark
 * decides when each one goes out. Only mapped procedures, and only dossiers with a reception and
 * at least `minSteps` further events. The generator's clock stands still at `startAt`, so a
 * dossier's events fall on consecutive whole seconds: distinct step keys at both targets.
 */
export interface BenchEvent {
  event: LandEventName;
  /** The JSON body, serialized once, as the land system sends it. */
  body: string;
  /** The event's own time (epoch ms, sub-millisecond ticks dropped). */
  at: number;
  /** The status code (1..10) both targets record for the step. */
  status: number;
  /** The step's key at the national portal: `ThoiDiemXuLy|TrangThai`. */
  portalKey: string;
}

export interface BenchDossier {
  /** SoBienNhan, the land system's receipt number. */
  code: string;
  events: BenchEvent[];
}

export interface LandDossierSource {
  /** The next `count` dossiers of the stream (never the same receipt number twice). */
  take(count: number): BenchDossier[];
}

/** sources/land.md: each event's status in the national numbering; `KetThucHoSo` by its outcome. */
const EVENT_STATUS: Record<LandEventName, number> = { TiepNhanHoSo: 2, ChuyenHoSo: 4, YeuCauBoSungHoSo: 5, NhanBoSungHoSo: 4, GuiKetQuaThue: 6, KetThucHoSo: 9 };

function statusOf(e: LandEmission): number {
  if (e.event === 'KetThucHoSo' && (e.body as { TrangThaiKetThuc?: number }).TrangThaiKetThuc === 1) return 7;
  return EVENT_STATUS[e.event];
}

export function landDossierSource(options: { seed: number; startAt: number; minSteps: number }): LandDossierSource {
  let current: BenchEvent[] = [];
  const sink = {
    open() {},
    emit(e: LandEmission) {
      const status = statusOf(e);
      current.push({ event: e.event, body: JSON.stringify(e.body), at: e.at, status, portalKey: `${portalTime(e.at)}|${status}` });
    },
  };
  const startAt = Math.floor(options.startAt / 1000) * 1000;
  const generator = createLandGenerator(sink, () => startAt, options.seed);
  return {
    take(count) {
      const out: BenchDossier[] = [];
      while (out.length < count) {
        current = [];
        const code = generator.create({ unmappedShare: 0 });
        while (generator.advance(code) !== undefined);
        if (current.length >= options.minSteps + 1) out.push({ code, events: current });
      }
      return out;
    },
  };
}

/** `yyyyMMddHHmmss` in Vietnam time, to the second: how the national portal keys a step's time. */
export function portalTime(at: number): string {
  const d = new Date(Math.floor(at / 1000) * 1000 + 7 * 3600_000).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}`;
}
