import { z } from 'zod';
import { instantMs } from '../../src/lib/time';

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
    // 15 digits stay a safe integer once read as a number (a trillion times more than any fee).
    LePhi: z.array(z.object({ Ten: text, SoTien: z.string().regex(/^\d{1,15}$/, 'must be a whole number of VND'), ThanhToanTrucTuyen: optional }).loose()).default([]),
    LichSuXuLy: z.union([z.literal(''), z.object({ Buoc: z.array(step).default([]) }).loose()]).optional(),
    TaiLieu: z.array(named).default([]),
    KetQua: z.array(named).default([]),
  })
  .loose();
export type BusinessDossierWire = z.infer<typeof dossier>;

/**
 * What the poller pages by. A listed dossier without them cannot be placed in the list: it is kept
 * for an operator on its own (list.ts), and its neighbours are read as usual.
 */
export const listedDossier = z
  .object({
    MaHoSo: z.string().min(1),
    ThoiDiemCapNhat: z.string().refine((v) => {
      try {
        instantMs(v);
        return true;
      } catch {
        return false;
      }
    }, 'must be ISO-8601 with an offset'),
  })
  .loose();

export const listResponse = z
  .object({
    TongSoTrang: z.string().regex(/^\d+$/).optional(),
    Trang: z.string().optional(),
    // Each `<HoSo>` is read on its own (listedDossier), so that one unreadable dossier costs only itself.
    DanhSachHoSo: z.union([z.literal(''), z.object({ HoSo: z.array(z.unknown()).default([]) }).loose()]).optional(),
  })
  .loose();
