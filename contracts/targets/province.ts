import { z } from 'zod';

/** Wire formats of the provincial dossier system (targets/province.md). */

/** `yyyy-MM-dd HH:mm:ss`, Vietnam time: the format of the province's dossier dates. */
export const provinceDate = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be yyyy-MM-dd HH:mm:ss');
const isoWithOffset = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/);

export const provinceParty = z.object({
  HoTen: z.string().min(1),
  SoDinhDanh: z.string().nullable(),
  SoDienThoai: z.string().nullable(),
  Email: z.string().nullable(),
  DiaChi: z.string().nullable(),
});

export const provinceResultDoc = z.object({ TenGiayTo: z.string(), DuongDan: z.string() });

export const provinceDossierBody = z.object({
  MaHoSoNguon: z.string().min(1),
  HeThongNguon: z.string().min(1),
  MaTTHC: z.string().regex(/^\d\.\d{6}$/),
  TenTTHC: z.string(),
  MaLinhVuc: z.string(),
  MaDonViTiepNhan: z.string().min(1),
  LoaiDoiTuong: z.number().int().min(0).max(2),
  ChuHoSo: provinceParty,
  NguoiNop: provinceParty,
  TrichYeu: z.string().max(500),
  KenhThucHien: z.number().int().min(1).max(3),
  HinhThucTraKetQua: z.number().int().min(0).max(1),
  NgayNop: provinceDate.nullable(),
  NgayTiepNhan: provinceDate,
  NgayHenTra: provinceDate.nullable(),
  TrangThai: z.number().int().min(1).max(10),
  ThanhPhanHoSo: z.array(z.object({ TenGiayTo: z.string(), DuongDan: z.string().nullable(), DuocSoHoa: z.number().int().min(0).max(1) })),
  LePhi: z.array(z.object({ TenPhiLePhi: z.string(), SoTien: z.number().int().nonnegative(), DaThanhToanTrucTuyen: z.boolean() })),
  DuLieuChuyenNganh: z.record(z.string(), z.unknown()),
  NgayKetThucXuLy: provinceDate.nullable().optional(),
  NgayTra: provinceDate.nullable().optional(),
  KetQua: z.array(provinceResultDoc).optional(),
});
export type ProvinceDossierBody = z.infer<typeof provinceDossierBody>;

export const provinceStep = z.object({
  NguoiXuLy: z.string().max(100),
  ChucDanh: z.string().nullable(),
  PhongBanXuLy: z.string().nullable(),
  NoiDungXuLy: z.string(),
  TrangThai: z.number().int().min(1).max(10),
  ThoiDiemXuLy: isoWithOffset,
  NgayBatDau: isoWithOffset.nullable(),
  NgayKetThucTheoQuyDinh: isoWithOffset.nullable(),
});
export type ProvinceStep = z.infer<typeof provinceStep>;

export const provinceStatusUpdate = z.object({
  TrangThai: z.number().int().min(1).max(10),
  ThoiDiem: isoWithOffset,
  NgayKetThucXuLy: provinceDate.nullable(),
  NgayTra: provinceDate.nullable(),
  KetQua: z.array(provinceResultDoc),
});
export type ProvinceStatusUpdate = z.infer<typeof provinceStatusUpdate>;

export const provinceToken = z.object({ access_token: z.string().min(1), token_type: z.string(), expires_in: z.number().positive() });
export const provinceCreated = z.object({ idHoSo: z.number().int(), maHoSo: z.string() });
export const provinceLookup = z.array(z.object({ idHoSo: z.number().int(), maHoSo: z.string() }).loose());
export const provinceStepsAnswer = z.object({ soBuoc: z.number().int() });
export const provinceError = z
  .object({
    error: z.string(),
    chiTiet: z.array(z.object({ truong: z.string(), loi: z.string() })).optional(),
    idHoSo: z.number().int().optional(),
    maHoSo: z.string().optional(),
  })
  .loose();
export type ProvinceError = z.infer<typeof provinceError>;

/** `GET /api/v1/hoso/{idHoSo}`: the dossier as held, with the steps in the order received. */
export const provinceHeldDossier = z
  .object({
    idHoSo: z.number().int(),
    maHoSo: z.string(),
    TrangThai: z.number().int(),
    TienTrinh: z.array(provinceStep.loose()),
  })
  .loose();
export type ProvinceHeldDossier = z.infer<typeof provinceHeldDossier>;
