import { charCount, isObject } from '../shared/http';
import { parseDashed, parseIsoWithOffset } from '../shared/time';

/**
 * The provincial system's validation (targets/province.md, "Validation"), strict as the real one:
 * every failure is reported as `{truong, loi}`, all of them at once. Numbers must be JSON numbers:
 * `"2"` is not an integer here.
 */
export interface FieldError {
  truong: string;
  loi: string;
}

export const TERMINAL_STATUSES: ReadonlySet<number> = new Set([3, 7, 8, 10]);

const MA_TTHC = /^\d\.\d{6}$/;
const PERSONAL_ID = /^(\d{9}|\d{12})$/;
/** Enterprise tax code (10 digits, branches 13 or `0101234567-001`) or an alphanumeric household-business code (`38H8001234`). */
const BUSINESS_ID = /^(\d{10}|\d{13}|\d{10}-\d{3}|(?=[0-9A-Z]*[A-Z])[0-9A-Z]{6,20})$/;

const LOI = {
  required: 'Trường bắt buộc, không được để trống',
  string: 'Phải là chuỗi ký tự',
  object: 'Phải là đối tượng JSON',
  array: 'Phải là mảng',
  dateTime: 'Sai định dạng ngày giờ, yêu cầu yyyy-MM-dd HH:mm:ss (ngày giờ có thực)',
  iso: 'Sai định dạng, yêu cầu ISO-8601 có múi giờ (vd 2026-03-02T10:41:00+07:00)',
  maTTHC: 'Sai định dạng mã thủ tục, yêu cầu d.dddddd',
};

const intIn = (value: unknown, min: number, max: number) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim().length > 0;
const present = (value: unknown) => value !== undefined && value !== null;

class Collector {
  readonly errors: FieldError[] = [];
  add(truong: string, loi: string) {
    this.errors.push({ truong, loi });
  }
  requireText(body: Record<string, unknown>, field: string, path = field) {
    if (!nonEmpty(body[field])) this.add(path, typeof body[field] === 'string' || !present(body[field]) ? LOI.required : LOI.string);
  }
  int(body: Record<string, unknown>, field: string, min: number, max: number, path = field) {
    if (!intIn(body[field], min, max)) this.add(path, `Phải là số nguyên từ ${min} đến ${max}`);
  }
  dashedDate(body: Record<string, unknown>, field: string, required: boolean) {
    const value = body[field];
    if (!present(value)) {
      if (required) this.add(field, LOI.required);
      return;
    }
    if (typeof value !== 'string' || parseDashed(value) === undefined) this.add(field, LOI.dateTime);
  }
  isoDate(body: Record<string, unknown>, field: string, path: string, required: boolean) {
    const value = body[field];
    if (!present(value)) {
      if (required) this.add(path, LOI.required);
      return;
    }
    if (typeof value !== 'string' || parseIsoWithOffset(value) === undefined) this.add(path, LOI.iso);
  }
  optionalText(body: Record<string, unknown>, field: string, path: string, maxChars?: number) {
    const value = body[field];
    if (!present(value)) return;
    if (typeof value !== 'string') this.add(path, LOI.string);
    else if (maxChars !== undefined && charCount(value) > maxChars) this.add(path, `Vượt quá ${maxChars} ký tự`);
  }
  optionalArray(body: Record<string, unknown>, field: string) {
    const value = body[field];
    if (!present(value)) return;
    if (!Array.isArray(value)) this.add(field, LOI.array);
    else if (value.some((item) => !isObject(item))) this.add(field, 'Mỗi phần tử phải là đối tượng JSON');
  }
}

function validateParty(collector: Collector, party: unknown, name: string, loaiDoiTuong: unknown, required: boolean) {
  if (!present(party)) {
    if (required) collector.add(name, LOI.required);
    return;
  }
  if (!isObject(party)) {
    collector.add(name, LOI.object);
    return;
  }
  if (required) collector.requireText(party, 'HoTen', `${name}.HoTen`);
  else collector.optionalText(party, 'HoTen', `${name}.HoTen`);
  const id = party['SoDinhDanh'];
  if (present(id)) {
    const business = loaiDoiTuong === 1 || loaiDoiTuong === 2;
    if (typeof id !== 'string') collector.add(`${name}.SoDinhDanh`, 'Phải là chuỗi ký tự (không phải số)');
    else if (!PERSONAL_ID.test(id) && !(business && BUSINESS_ID.test(id)))
      collector.add(
        `${name}.SoDinhDanh`,
        business
          ? 'Phải là số định danh 9 hoặc 12 chữ số, mã số thuế 10 hoặc 13 chữ số, hoặc mã số hộ kinh doanh'
          : 'Số định danh phải gồm 9 hoặc 12 chữ số',
      );
  }
  for (const field of ['SoDienThoai', 'Email', 'DiaChi']) collector.optionalText(party, field, `${name}.${field}`);
}

/** Create and update bodies. */
export function validateDossier(body: unknown): FieldError[] {
  const c = new Collector();
  if (!isObject(body)) {
    c.add('(body)', 'Nội dung phải là một đối tượng JSON');
    return c.errors;
  }
  c.requireText(body, 'MaHoSoNguon');
  c.requireText(body, 'HeThongNguon');
  if (typeof body['MaTTHC'] !== 'string' || !MA_TTHC.test(body['MaTTHC'])) c.add('MaTTHC', present(body['MaTTHC']) ? LOI.maTTHC : LOI.required);
  c.optionalText(body, 'TenTTHC', 'TenTTHC');
  c.optionalText(body, 'MaLinhVuc', 'MaLinhVuc');
  c.requireText(body, 'MaDonViTiepNhan');
  c.int(body, 'LoaiDoiTuong', 0, 2);
  validateParty(c, body['ChuHoSo'], 'ChuHoSo', body['LoaiDoiTuong'], true);
  validateParty(c, body['NguoiNop'], 'NguoiNop', body['LoaiDoiTuong'], false);
  c.optionalText(body, 'TrichYeu', 'TrichYeu', 500);
  c.int(body, 'KenhThucHien', 1, 3);
  c.int(body, 'HinhThucTraKetQua', 0, 1);
  if (intIn(body['KenhThucHien'], 1, 3) && intIn(body['HinhThucTraKetQua'], 0, 1) && (body['KenhThucHien'] === 3) !== (body['HinhThucTraKetQua'] === 1))
    c.add('HinhThucTraKetQua', 'Phải là 1 (qua bưu chính) khi KenhThucHien là 3, ngược lại là 0');
  c.dashedDate(body, 'NgayNop', false);
  c.dashedDate(body, 'NgayTiepNhan', true);
  c.dashedDate(body, 'NgayHenTra', false);
  c.dashedDate(body, 'NgayKetThucXuLy', false);
  c.dashedDate(body, 'NgayTra', false);
  c.int(body, 'TrangThai', 1, 10);
  c.optionalArray(body, 'ThanhPhanHoSo');
  c.optionalArray(body, 'LePhi');
  c.optionalArray(body, 'KetQua');
  if (present(body['DuLieuChuyenNganh']) && !isObject(body['DuLieuChuyenNganh'])) c.add('DuLieuChuyenNganh', LOI.object);
  return c.errors;
}

export const MAX_STEPS_PER_CALL = 20;

export function validateSteps(body: unknown): FieldError[] {
  const c = new Collector();
  if (!Array.isArray(body)) {
    c.add('(body)', 'Nội dung phải là một mảng các bước xử lý');
    return c.errors;
  }
  if (body.length === 0) c.add('(body)', 'Phải có ít nhất 1 bước xử lý');
  if (body.length > MAX_STEPS_PER_CALL) c.add('(body)', `Tối đa ${MAX_STEPS_PER_CALL} bước xử lý mỗi lần gửi`);
  body.forEach((step, i) => {
    const at = `TienTrinh[${i}]`;
    if (!isObject(step)) {
      c.add(at, LOI.object);
      return;
    }
    c.optionalText(step, 'NguoiXuLy', `${at}.NguoiXuLy`, 100);
    for (const field of ['ChucDanh', 'PhongBanXuLy', 'NoiDungXuLy']) c.optionalText(step, field, `${at}.${field}`);
    c.int(step, 'TrangThai', 1, 10, `${at}.TrangThai`);
    c.isoDate(step, 'ThoiDiemXuLy', `${at}.ThoiDiemXuLy`, true);
    c.isoDate(step, 'NgayBatDau', `${at}.NgayBatDau`, false);
    c.isoDate(step, 'NgayKetThucTheoQuyDinh', `${at}.NgayKetThucTheoQuyDinh`, false);
  });
  return c.errors;
}

export function validateStatusUpdate(body: unknown): FieldError[] {
  const c = new Collector();
  if (!isObject(body)) {
    c.add('(body)', 'Nội dung phải là một đối tượng JSON');
    return c.errors;
  }
  c.int(body, 'TrangThai', 1, 10);
  c.isoDate(body, 'ThoiDiem', 'ThoiDiem', true);
  c.dashedDate(body, 'NgayKetThucXuLy', false);
  c.dashedDate(body, 'NgayTra', false);
  c.optionalArray(body, 'KetQua');
  return c.errors;
}
