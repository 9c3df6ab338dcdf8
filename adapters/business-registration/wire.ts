import { z } from 'zod';

/** A `<HoSo>` as the preset parser reads it: every value a string, lists always arrays. */
const text = z.string();
const optional = z.string().optional();
/** An element with attributes: `{ '#text': ..., '@MaDinhDanh': ... }`, or plain text. */
const withAttributes = z.union([z.string(), z.object({ '#text': z.string().optional() }).catchall(z.string())]);

export const step = z.object({ ThoiDiem: text, CanBo: optional, NoiDung: optional, TrangThai: text }).loose();
export const named = z.object({ Ten: text, DuongDan: optional }).loose();

export const dossier = z
  .object({
    MaHoSo: z.string().min(1),
    LoaiHoSo: z.string().min(1),
    MaTTHC: z.string().min(1),
    CoQuanTiepNhan: withAttributes,
    KenhNop: text,
    NgayNop: optional,
    NgayTiepNhan: optional,
    NgayHenTra: optional,
    TrangThai: text,
    ThoiDiemCapNhat: text,
    NguoiNop: z.object({ HoTen: z.string().min(1), SoDinhDanh: optional, DienThoai: optional, Email: optional }).loose(),
    DoanhNghiep: z.object({ TenTiengViet: z.string().min(1), MaSoDoanhNghiep: optional, LoaiHinh: optional }).loose().optional(),
    HoKinhDoanh: z
      .object({ TenHoKinhDoanh: z.string().min(1), MaSoHKD: optional, NganhNghe: optional, VonKinhDoanh: optional })
      .loose()
      .optional(),
    LePhi: z.array(z.object({ Ten: text, SoTien: z.string().regex(/^\d+$/, 'must be a whole number of VND'), ThanhToanTrucTuyen: optional }).loose()).default([]),
    LichSuXuLy: z.union([z.literal(''), z.object({ Buoc: z.array(step).default([]) }).loose()]).optional(),
    TaiLieu: z.array(named).default([]),
    KetQua: z.array(named).default([]),
  })
  .loose();
export type BusinessDossierWire = z.infer<typeof dossier>;

export const listResponse = z
  .object({
    TongSoTrang: z.string().regex(/^\d+$/).optional(),
    Trang: z.string().optional(),
    DanhSachHoSo: z.union([z.literal(''), z.object({ HoSo: z.array(z.unknown()).default([]) }).loose()]).optional(),
  })
  .loose();
