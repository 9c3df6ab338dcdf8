import { z } from 'zod';
import { LAND_EVENTS } from '../../contracts';

/** The land system's callback bodies (sources/land.md). Times are UTC without an offset. */

const text = z.string();
const optionalText = z.string().nullish();
/** A number that some releases send as a string; a string too long for a number is refused, not read as Infinity. */
const num = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]).refine(Number.isFinite, 'must be a finite number');
const int = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]).refine(Number.isSafeInteger, 'must be a whole number');
/** An administrative unit code: a number in the samples, a string in some releases, whose leading zeros are kept. */
const unitCode = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'must be digits')]);
const utc = z.string().min(1);
const receipt = z.string().trim().min(1, 'SoBienNhan (the receipt number) is required');

export const landEventName = z.enum(LAND_EVENTS);

export const tiepNhanHoSo = z
  .object({
    SoBienNhan: receipt,
    MaHoSoMotCua: optionalText,
    NguoiTiepNhan: optionalText,
    NgayTiepNhan: utc,
    NgayHenTra: utc.nullish(),
    TinhId: unitCode.nullish(),
    HuyenId: unitCode.nullish(),
    XaId: unitCode.nullish(),
    DiaChiTaiSan: optionalText,
    ThongTinNguoiNopDon: z
      .object({
        HoTen: z.string().trim().min(1, 'ThongTinNguoiNopDon.HoTen is required'),
        SoChungMinh: optionalText,
        DiaChiChiTiet: optionalText,
        SoDienThoai: optionalText,
        Email: optionalText,
      })
      .loose(),
    ThongTinQuyTrinh: z.object({ MaQuyTrinh: z.string().trim().min(1), TenQuyTrinh: text }).loose(),
    ThongTinThuaDat: z
      .array(z.object({ SoThuTuThua: text, SoHieuBanDo: text, DienTich: num.nullish(), DiaChiChiTiet: optionalText }).loose())
      .nullish(),
    DanhSachGiayToDinhKem: z
      .array(
        z
          .object({
            TenGiayTo: text,
            SoBanChinh: int.nullish(),
            SoBanSao: int.nullish(),
            TapTin: z.object({ name: optionalText, url: optionalText }).loose().nullish(),
          })
          .loose(),
      )
      .nullish(),
    KenhTiepNhan: int.refine((n) => n >= 1 && n <= 3, 'KenhTiepNhan must be 1 (counter), 2 (online) or 3 (post)'),
  })
  .loose();

export const chuyenHoSo = z
  .object({
    SoBienNhan: receipt,
    MaCanBoChuyen: optionalText,
    MaCanBoNhan: optionalText,
    MaTrangThai: optionalText,
    NoiDungXuLy: optionalText,
    NgayChuyen: utc,
    HanXuLy: utc.nullish(),
  })
  .loose();

export const yeuCauBoSungHoSo = z
  .object({ SoBienNhan: receipt, NgayChoBoSung: utc, MaCanBoXuLy: optionalText, LaTamDung: z.boolean().nullish(), GhiChu: optionalText })
  .loose();

export const nhanBoSungHoSo = z.object({ SoBienNhan: receipt, NgayNhanBoSung: utc, NgayHenTraMoi: utc.nullish() }).loose();

export const guiKetQuaThue = z
  .object({
    SoBienNhan: receipt,
    NgayCoKetQuaThue: utc,
    DanhSachThongBaoThue: z
      .array(z.object({ HoTenChu: optionalText, LoaiThue: optionalText, SoThongBaoThue: optionalText, DuongDanThongBaoThue: optionalText }).loose())
      .nullish(),
  })
  .loose();

export const ketThucHoSo = z
  .object({
    SoBienNhan: receipt,
    NgayKetThuc: utc,
    MaCanBoXuLy: optionalText,
    TrangThaiKetThuc: int.refine((n) => n === 0 || n === 1, 'TrangThaiKetThuc must be 0 (result issued) or 1 (withdrawn)'),
    DanhSachGiayToKetQua: z
      .array(z.object({ TenGiayTo: text, KieuFile: optionalText, LinkFile: optionalText, SoBanSao: int.nullish(), SoBanChinh: int.nullish() }).loose())
      .nullish(),
  })
  .loose();

export const LAND_EVENT_SCHEMAS = {
  TiepNhanHoSo: tiepNhanHoSo,
  ChuyenHoSo: chuyenHoSo,
  YeuCauBoSungHoSo: yeuCauBoSungHoSo,
  NhanBoSungHoSo: nhanBoSungHoSo,
  GuiKetQuaThue: guiKetQuaThue,
  KetThucHoSo: ketThucHoSo,
} as const;
