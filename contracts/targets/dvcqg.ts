import { z } from 'zod';

/** Wire formats of the National Public Service Portal (targets/dvcqg.md). Every value is a string. */

/** `yyyyMMddHHmmss`, Vietnam time, or "" when absent. */
export const dvcqgDate = z.string().regex(/^(\d{14})?$/, 'must be yyyyMMddHHmmss or empty');
const s = z.string();

export const dvcqgDossier = z.object({
  MaHoSo: z.string().regex(/^[A-Z0-9.]+-\d{6}-\d{4}$/),
  MaTTHC: s,
  TenTTHC: s,
  MaLinhVuc: s,
  TenLinhVuc: s,
  KenhThucHien: z.enum(['1', '2', '3']),
  ChuHoSo: s,
  LoaiDoiTuong: z.enum(['1', '2', '3', '4']),
  MaDoiTuong: s,
  SoGiayToChuHoSo: s,
  DinhDanhCHS: z.array(z.object({ LoaiDinhDanh: z.enum(['1', '2', '3']), SoDinhDanh: s })),
  Email: s,
  SoDienThoai: s,
  TrichYeuHoSo: z.string().max(1000),
  NgayTiepNhan: z.string().regex(/^\d{14}$/),
  NgayHenTra: dvcqgDate,
  TrangThaiHoSo: z.string().regex(/^([1-9]|10)$/),
  NgayKetThucXuLy: dvcqgDate,
  NgayTra: dvcqgDate,
  HinhThuc: z.enum(['0', '1']),
  DonViXuLy: s,
  DuocThanhToanTrucTuyen: z.enum(['0', '1', '2']),
  HoSoCoThanhPhanSoHoa: z.enum(['0', '1']),
  TaiLieuNop: z.array(z.object({ TenTepDinhKem: s, DuongDanTaiTepTin: s, DuocSoHoa: z.enum(['0', '1']) })),
  DanhSachLePhi: z.array(z.object({ TenPhiLePhi: s, MaPhiLePhi: s, Gia: s, HinhThucThu: s, LoaiPhiLePhi: s })),
  DanhSachHoSoBoSung: z.array(
    z.object({ NgayYeuCauBoSung: dvcqgDate, NoiDungBoSung: s, NgayTiepNhanBoSung: dvcqgDate, NgayHenTraTruoc: dvcqgDate, NgayHenTraMoi: dvcqgDate }),
  ),
  DanhSachGiayToKetQua: z.array(z.object({ TenGiayTo: s, DuongDanTepTinKetQua: s })),
});
export type DvcqgDossier = z.infer<typeof dvcqgDossier>;

export const dvcqgStep = z.object({
  MaHoSo: s,
  NguoiXuLy: z.string().max(50),
  ChucDanh: s,
  ThoiDiemXuLy: z.string().regex(/^\d{14}$/),
  PhongBanXuLy: s,
  NoiDungXuLy: s,
  TrangThai: z.string().regex(/^([1-9]|10)$/),
  NgayBatDau: dvcqgDate,
  NgayKetThucTheoQuyDinh: dvcqgDate,
});
export type DvcqgStep = z.infer<typeof dvcqgStep>;

export const DVCQG_ERROR = { OK: 0, SESSION: -1, LOGIN_FAILED: 1, INVALID: 2, EXISTS: 3, EXISTS_ALT: -3, INTERNAL: 99 } as const;

const errorCode = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);
export const dvcqgItemResult = z.object({ MaHoSo: s.optional(), error_code: errorCode, message: s.optional() }).loose();
export const dvcqgAnswer = z
  .object({ error_code: errorCode, message: s.optional(), session: s.optional(), result: z.array(z.unknown()).optional() })
  .loose();
export type DvcqgAnswer = z.infer<typeof dvcqgAnswer>;

/** `TraCuuHoSo`: the dossier as the portal holds it, with its steps. */
export const dvcqgHeldDossier = dvcqgDossier.partial().extend({ MaHoSo: s, TienDo: z.array(dvcqgStep.partial().loose()).default([]) }).loose();
export type DvcqgHeldDossier = z.infer<typeof dvcqgHeldDossier>;

export const dvcqgCatalogEntry = z
  .object({
    MATTHC: s,
    TENTTHC: s,
    LINHVUCTHUCHIEN: z.array(z.object({ MALINHVUC: s, TENLINHVUC: s }).loose()),
    CACHTHUCTHUCHIEN: z.array(z.unknown()).optional(),
  })
  .loose();
export type DvcqgCatalogEntry = z.infer<typeof dvcqgCatalogEntry>;
