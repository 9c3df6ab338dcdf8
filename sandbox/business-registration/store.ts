import { formatIsoVn } from '../shared/time';

/**
 * What the business registration system holds: each dossier (`HoSo`, field names as on the wire)
 * and the instant it last changed (`ThoiDiemCapNhat`, to the millisecond), which drives the change
 * list. The store owns `ThoiDiemCapNhat`: `put` and `change` stamp it.
 */
export const DOSSIER_TYPES = ['DN_DANG_KY_MOI', 'DN_THAY_DOI', 'HKD_DANG_KY_MOI', 'HKD_THAY_DOI', 'HKD_CHAM_DUT'] as const;
export type BusinessDossierType = (typeof DOSSIER_TYPES)[number];

/** In the order of canonical.md's status mapping (SUBMITTED .. RESULT_DELIVERED). */
export const BUSINESS_STATUSES = ['DA_NOP', 'DA_TIEP_NHAN', 'TU_CHOI', 'DANG_XU_LY', 'YEU_CAU_BO_SUNG', 'RUT_HO_SO', 'DUNG_XU_LY', 'DA_CAP_GCN', 'DA_TRA_KET_QUA'] as const;
export type BusinessStatus = (typeof BUSINESS_STATUSES)[number];

export type BusinessChannel = 'TRUC_TIEP' | 'TRUC_TUYEN' | 'BUU_CHINH';

export interface BusinessStep {
  /** ISO-8601 with +07:00, to the second. */
  ThoiDiem: string;
  CanBo: string;
  NoiDung: string;
  TrangThai: BusinessStatus;
}

/** A submitted document (`TaiLieu`) or a result (`KetQua`); a paper document never scanned has no `DuongDan`. */
export interface BusinessFile {
  Ten: string;
  DuongDan?: string;
}

export interface BusinessFee {
  Ten: string;
  /** Whole VND. */
  SoTien: number;
  ThanhToanTrucTuyen: boolean;
}

export interface BusinessApplicant {
  HoTen: string;
  /** 12-digit CCCD, a string (it often starts with 0). */
  SoDinhDanh: string;
  DienThoai?: string;
  Email?: string;
}

export interface HouseholdBusiness {
  TenHoKinhDoanh: string;
  /** `38H8001234`; absent until the business is registered. */
  MaSoHKD?: string;
  NganhNghe: string;
  /** Whole VND. */
  VonKinhDoanh: number;
}

export interface Enterprise {
  TenTiengViet: string;
  /** 10 digits, may start with 0; absent until the certificate is issued. */
  MaSoDoanhNghiep?: string;
  LoaiHinh: string;
}

/** One `<HoSo>`. Optional fields are absent elements. Exactly one of HoKinhDoanh / DoanhNghiep, by LoaiHoSo. */
export interface BusinessDossier {
  MaHoSo: string;
  LoaiHoSo: BusinessDossierType;
  /** Local procedure code (HKD01, DN01, ...). */
  MaTTHC: string;
  CoQuanTiepNhan: { MaDinhDanh: string; Ten: string };
  KenhNop: BusinessChannel;
  NgayNop?: string;
  /** Absent while an online submission is not yet received (DA_NOP). */
  NgayTiepNhan?: string;
  NgayHenTra?: string;
  TrangThai: BusinessStatus;
  /** ISO-8601 with milliseconds and +07:00; stamped by the store. */
  ThoiDiemCapNhat: string;
  NguoiNop: BusinessApplicant;
  HoKinhDoanh?: HouseholdBusiness;
  DoanhNghiep?: Enterprise;
  LePhi: BusinessFee[];
  LichSuXuLy: BusinessStep[];
  TaiLieu: BusinessFile[];
  KetQua: BusinessFile[];
}

/** A dossier as given to the store, which stamps `ThoiDiemCapNhat` itself. */
export type BusinessDossierInput = Omit<BusinessDossier, 'ThoiDiemCapNhat'>;

/** `2026-03-02T09:30:12.481+07:00`: always three fraction digits, as ThoiDiemCapNhat is written. */
export function formatIsoVnMs(ms: number): string {
  const fraction = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return formatIsoVn(ms).replace('+07:00', `.${fraction}+07:00`);
}

interface Held {
  dossier: BusinessDossier;
  /** Epoch ms. */
  updatedAt: number;
}

const byUpdateThenCode = (a: Held, b: Held) =>
  a.updatedAt - b.updatedAt || (a.dossier.MaHoSo < b.dossier.MaHoSo ? -1 : a.dossier.MaHoSo > b.dossier.MaHoSo ? 1 : 0);

export function createBusinessStore() {
  const held = new Map<string, Held>();
  const sorted = (filter: (h: Held) => boolean = () => true) => [...held.values()].filter(filter).sort(byUpdateThenCode);
  return {
    /** Inserts or replaces a dossier; `at` becomes its ThoiDiemCapNhat. */
    put(input: BusinessDossierInput, at: number) {
      const dossier: BusinessDossier = { ...structuredClone(input), ThoiDiemCapNhat: formatIsoVnMs(at) };
      held.set(dossier.MaHoSo, { dossier, updatedAt: at });
    },
    /** Applies a change to the live dossier and stamps ThoiDiemCapNhat. */
    change(maHoSo: string, at: number, apply: (dossier: BusinessDossier) => void) {
      const h = held.get(maHoSo);
      if (!h) throw new Error(`business-registration sandbox holds no dossier ${maHoSo}`);
      apply(h.dossier);
      h.updatedAt = at;
      h.dossier.ThoiDiemCapNhat = formatIsoVnMs(at);
    },
    /** The live dossier (not a copy): callers that hand it out copy it. */
    get: (maHoSo: string) => held.get(maHoSo)?.dossier,
    /** Changed at or after `from` (epoch ms), ordered by ThoiDiemCapNhat then MaHoSo; live objects. */
    changedSince: (from: number) => sorted((h) => h.updatedAt >= from).map((h) => h.dossier),
    /** How many dossiers have NgayTiepNhan in [from, to) (epoch ms). */
    receivedBetween(from: number, to: number): number {
      let n = 0;
      for (const { dossier } of held.values()) {
        const at = dossier.NgayTiepNhan === undefined ? NaN : Date.parse(dossier.NgayTiepNhan);
        if (at >= from && at < to) n++;
      }
      return n;
    },
    all: () => sorted().map((h) => structuredClone(h.dossier)),
    size: () => held.size,
    reset: () => held.clear(),
  };
}

export type BusinessStore = ReturnType<typeof createBusinessStore>;
