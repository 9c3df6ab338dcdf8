import { z } from 'zod';
import { agencyCode } from '../../contracts';
import { parseVnDateTime } from '../../src/lib/time';

/** What the civil-status system sends (sources/civil-status.md). Strings first; codes as sent. */

/** A small integer code that some releases send as a number and others as a string. */
const code = z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String);
const optionalText = z.string().nullish();

export const loginAnswer = z.object({ token: z.string().min(1), expiresIn: z.number().positive() }).loose();

/**
 * `dd/MM/yyyy HH:mm:ss` that is a real time: the poller pages by it, so an entry without one has no
 * place in the list; it is kept for an operator on its own and its neighbours are read as usual.
 */
const vnDateTime = z.string().refine((v) => {
  try {
    parseVnDateTime(v);
    return true;
  } catch {
    return false;
  }
}, 'must be dd/MM/yyyy HH:mm:ss');

export const listItem = z.object({ maHoSo: z.string().min(1), module: z.string(), ngayCapNhat: vnDateTime }).loose();
export const listAnswer = z
  // Each entry is read on its own (listItem), so that one unreadable entry costs only itself.
  .object({ tongSo: z.number().int().nonnegative(), trang: z.number().int(), soLuong: z.number().int(), value: z.array(z.unknown()) })
  .loose();
export type ListItem = z.infer<typeof listItem>;

export const historyEntry = z
  .object({
    thoiGianThucHien: z.string(),
    nguoiXuLy: optionalText,
    chucDanh: optionalText,
    noiDungXuLy: optionalText,
    trangThai: code,
  })
  .loose();

export const detail = z
  .object({
    maHoSo: z.string().min(1),
    maHoSoLT: optionalText,
    maDonVi: agencyCode,
    tenDonVi: optionalText,
    module: z.enum(['LTKS', 'LTKT', 'LTKH']),
    maTTHC: z.string().min(1),
    ngayTiepNhan: optionalText,
    ngayHenTra: optionalText,
    kenhNop: code,
    trangThai: code,
    lichSu: z.array(historyEntry).nullish(),
    data: z.string().min(1),
    fileDinhKem: z.array(z.object({ tenFile: z.string(), duongDan: optionalText }).loose()).nullish(),
    ketQuaXuLy: z.object({ soGiayTo: optionalText, tenGiayTo: optionalText, duongDan: optionalText }).loose().nullish(),
  })
  .loose();
export type Detail = z.infer<typeof detail>;

export const errorAnswer = z.object({ errorCode: z.string() }).loose();
