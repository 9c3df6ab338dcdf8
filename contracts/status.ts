import { z } from 'zod';

/** The canonical status set (canonical.md), in the order of the national numbering 1..10. */
export const CANONICAL_STATUSES = [
  'SUBMITTED',
  'ACCEPTED',
  'REJECTED_AT_INTAKE',
  'IN_PROGRESS',
  'AWAITING_SUPPLEMENT',
  'AWAITING_PAYMENT',
  'WITHDRAWN',
  'STOPPED',
  'RESULT_READY',
  'RESULT_DELIVERED',
] as const;

export const canonicalStatus = z.enum(CANONICAL_STATUSES);
export type CanonicalStatus = z.infer<typeof canonicalStatus>;

/** Statuses after which nothing but RESULT_READY -> RESULT_DELIVERED may follow. */
export const TERMINAL_STATUSES: ReadonlySet<CanonicalStatus> = new Set([
  'REJECTED_AT_INTAKE',
  'WITHDRAWN',
  'STOPPED',
  'RESULT_DELIVERED',
]);

/** "Finished" in rules.md: the statuses that set completedAt. */
export const FINISHED_STATUSES: ReadonlySet<CanonicalStatus> = new Set([
  'REJECTED_AT_INTAKE',
  'WITHDRAWN',
  'STOPPED',
  'RESULT_READY',
  'RESULT_DELIVERED',
]);

export const isTerminal = (s: CanonicalStatus): boolean => TERMINAL_STATUSES.has(s);
export const isFinished = (s: CanonicalStatus): boolean => FINISHED_STATUSES.has(s);

/**
 * Whether a dossier may move from `from` to `to`. A terminal status is final; RESULT_READY may only
 * stay or become RESULT_DELIVERED (or be closed by a terminal status). Everything else may move freely,
 * because processing legitimately goes back and forth (in progress <-> awaiting a supplement).
 */
export function canMove(from: CanonicalStatus, to: CanonicalStatus): boolean {
  if (from === to) return true;
  if (isTerminal(from)) return false;
  if (from === 'RESULT_READY') return isTerminal(to);
  return true;
}

/** National numbering shared by DVCQG `TrangThaiHoSo` and the province's `TrangThai` (1..10). */
export const statusCode = (s: CanonicalStatus): number => CANONICAL_STATUSES.indexOf(s) + 1;

export function statusFromCode(code: number): CanonicalStatus | undefined {
  return CANONICAL_STATUSES[code - 1];
}

/** civil-status `trangThai` (civil-status.md). 5 is not used by the source. */
export const CIVIL_STATUS_STATUS: Readonly<Record<string, CanonicalStatus>> = {
  '1': 'SUBMITTED',
  '2': 'AWAITING_SUPPLEMENT',
  '3': 'IN_PROGRESS',
  '4': 'RESULT_READY',
  '6': 'REJECTED_AT_INTAKE',
};

/** business-registration `TrangThai`. */
export const BUSINESS_STATUS: Readonly<Record<string, CanonicalStatus>> = {
  DA_NOP: 'SUBMITTED',
  DA_TIEP_NHAN: 'ACCEPTED',
  TU_CHOI: 'REJECTED_AT_INTAKE',
  DANG_XU_LY: 'IN_PROGRESS',
  YEU_CAU_BO_SUNG: 'AWAITING_SUPPLEMENT',
  RUT_HO_SO: 'WITHDRAWN',
  DUNG_XU_LY: 'STOPPED',
  DA_CAP_GCN: 'RESULT_READY',
  DA_TRA_KET_QUA: 'RESULT_DELIVERED',
};

/** land callback events; `KetThucHoSo` depends on `TrangThaiKetThuc` (0 result, 1 withdrawn). */
export const LAND_EVENTS = [
  'TiepNhanHoSo',
  'ChuyenHoSo',
  'YeuCauBoSungHoSo',
  'NhanBoSungHoSo',
  'GuiKetQuaThue',
  'KetThucHoSo',
] as const;
export type LandEvent = (typeof LAND_EVENTS)[number];

export function landEventStatus(event: LandEvent, trangThaiKetThuc?: number): CanonicalStatus {
  switch (event) {
    case 'TiepNhanHoSo':
      return 'ACCEPTED';
    case 'ChuyenHoSo':
    case 'NhanBoSungHoSo':
      return 'IN_PROGRESS';
    case 'YeuCauBoSungHoSo':
      return 'AWAITING_SUPPLEMENT';
    case 'GuiKetQuaThue':
      return 'AWAITING_PAYMENT';
    case 'KetThucHoSo':
      return trangThaiKetThuc === 1 ? 'WITHDRAWN' : 'RESULT_READY';
  }
}
