import { formatSlashed, toSecond } from '../shared/time';

/**
 * What the civil-status system holds: each dossier's detail (exactly the spec's shape) and the
 * second it last changed (`ngayCapNhat`), which drives the change list.
 */
export type CivilStatusModule = 'LTKS' | 'LTKT' | 'LTKH';
export type CivilStatusStatus = 1 | 2 | 3 | 4 | 6;

export interface CivilStatusHistoryEntry {
  thoiGianThucHien: string;
  nguoiXuLy: string;
  chucDanh: string;
  noiDungXuLy: string;
  trangThai: CivilStatusStatus;
}

export interface CivilStatusDetail {
  maHoSo: string;
  maHoSoLT: string | null;
  maDonVi: string;
  tenDonVi: string;
  module: CivilStatusModule;
  maTTHC: string;
  ngayTiepNhan: string | null;
  ngayHenTra: string | null;
  kenhNop: 1 | 2 | 3;
  trangThai: CivilStatusStatus;
  lichSu: CivilStatusHistoryEntry[];
  data: string;
  fileDinhKem: { tenFile: string; duongDan: string }[];
  ketQuaXuLy: { soGiayTo: string; tenGiayTo: string; duongDan: string } | null;
}

export interface CivilStatusChange {
  maHoSo: string;
  module: CivilStatusModule;
  ngayCapNhat: string;
}

interface Held {
  detail: CivilStatusDetail;
  /** Epoch ms, second precision. */
  updatedAt: number;
}

const byUpdateThenCode = (a: Held, b: Held) =>
  a.updatedAt - b.updatedAt || (a.detail.maHoSo < b.detail.maHoSo ? -1 : a.detail.maHoSo > b.detail.maHoSo ? 1 : 0);

const changeOf = (h: Held): CivilStatusChange => ({ maHoSo: h.detail.maHoSo, module: h.detail.module, ngayCapNhat: formatSlashed(h.updatedAt) });

export function createCivilStatusStore() {
  const held = new Map<string, Held>();
  return {
    /** Inserts or replaces a dossier; `at` becomes its ngayCapNhat (truncated to the second). */
    put(detail: CivilStatusDetail, at: number) {
      held.set(detail.maHoSo, { detail: structuredClone(detail), updatedAt: toSecond(at) });
    },
    /** Applies a change to the live dossier and stamps ngayCapNhat. */
    change(maHoSo: string, at: number, apply: (detail: CivilStatusDetail) => void) {
      const h = held.get(maHoSo);
      if (!h) throw new Error(`civil-status sandbox holds no dossier ${maHoSo}`);
      apply(h.detail);
      h.updatedAt = toSecond(at);
    },
    get: (maHoSo: string) => held.get(maHoSo)?.detail,
    updatedAt: (maHoSo: string) => held.get(maHoSo)?.updatedAt,
    /** Changed in [from, to] (both inclusive, ms at second precision), ordered by ngayCapNhat then maHoSo. */
    changedBetween(from: number, to: number): CivilStatusChange[] {
      return [...held.values()].filter((h) => h.updatedAt >= from && h.updatedAt <= to).sort(byUpdateThenCode).map(changeOf);
    },
    changes: () => [...held.values()].sort(byUpdateThenCode).map(changeOf),
    all: () => [...held.values()].sort(byUpdateThenCode).map((h) => structuredClone(h.detail)),
    size: () => held.size,
    reset: () => held.clear(),
  };
}

export type CivilStatusStore = ReturnType<typeof createCivilStatusStore>;
