import type { CatalogEntry } from '../catalog';
import { charCount, isObject } from '../shared/http';
import { parseCompact } from '../shared/time';

/**
 * The national portal's field rules (targets/dvcqg.md, "Field rules"). Each function answers
 * undefined when the item is acceptable, else the message of its first violation, naming the
 * field; the caller turns it into item error 2.
 */
export interface PortalRules {
  provinceCode: string;
  catalog: Readonly<Record<string, CatalogEntry>>;
}

const MA_HO_SO = /^[A-Z0-9.]+-\d{6}-\d{4}$/;
const LIST_FIELDS = ['DinhDanhCHS', 'TaiLieuNop', 'DanhSachLePhi', 'DanhSachHoSoBoSung', 'DanhSachGiayToKetQua'] as const;
/** Fields without which a dossier means nothing to the portal; every other field may be absent or "". */
const REQUIRED = ['MaHoSo', 'MaTTHC', 'TenTTHC', 'MaLinhVuc', 'KenhThucHien', 'ChuHoSo', 'LoaiDoiTuong', 'TrichYeuHoSo', 'NgayTiepNhan', 'TrangThaiHoSo', 'HinhThuc'] as const;
const NEEDS_END = new Set(['3', '7', '8', '9', '10']);
const COMPACT_DATE = 'định dạng yyyyMMddHHmmss';

const oneOf = (value: string, allowed: readonly string[]) => allowed.includes(value);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
const STATUSES = range(1, 10);

/** The agency part of a one-stop code carries the province: `000.00.20.H56` or `H56.14`. */
export function agencyCarriesProvince(agency: string, provinceCode: string): boolean {
  return agency.endsWith(`.${provinceCode}`) || agency.startsWith(`${provinceCode}.`) || agency === provinceCode;
}

function stringsOnly(record: Record<string, unknown>, path: string, skip: readonly string[] = []): string | undefined {
  for (const [key, value] of Object.entries(record)) {
    if (skip.includes(key)) continue;
    if (typeof value !== 'string') return `${path}${key}: giá trị phải là chuỗi (nhận ${value === null ? 'null' : typeof value})`;
  }
  return undefined;
}

function optionalDate(record: Record<string, unknown>, field: string, path = field): string | undefined {
  const value = record[field];
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' && parseCompact(value) !== undefined ? undefined : `${path}: sai ${COMPACT_DATE}`;
}

function listItems(item: Record<string, unknown>, field: (typeof LIST_FIELDS)[number]): string | Record<string, unknown>[] {
  const value = item[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) return `${field}: phải là danh sách`;
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (!isObject(entry)) return `${field}[${i}]: phải là đối tượng`;
    const bad = stringsOnly(entry, `${field}[${i}].`);
    if (bad) return bad;
  }
  return value as Record<string, unknown>[];
}

export function validateDossierItem(item: unknown, rules: PortalRules): string | undefined {
  if (!isObject(item)) return 'Dữ liệu hồ sơ phải là đối tượng';
  const notString = stringsOnly(item, '', LIST_FIELDS);
  if (notString) return notString;
  for (const field of REQUIRED) if (!item[field]) return `${field}: bắt buộc`;
  const f = item as Record<string, string>;

  if (!MA_HO_SO.test(f['MaHoSo']!)) return 'MaHoSo: không đúng định dạng mã hồ sơ một cửa {mã đơn vị}-{yyMMdd}-{NNNN}';
  if (!agencyCarriesProvince(f['MaHoSo']!.split('-')[0]!, rules.provinceCode))
    return `MaHoSo: mã đơn vị không thuộc tỉnh ${rules.provinceCode}`;
  const entry = rules.catalog[f['MaTTHC']!];
  if (!entry) return `MaTTHC: thủ tục ${f['MaTTHC']} không có trong CSDL thủ tục hành chính quốc gia`;
  if (f['TenTTHC'] !== entry.name) return 'TenTTHC: không khớp với CSDL thủ tục hành chính quốc gia';
  if (f['MaLinhVuc'] !== entry.sectorCode) return 'MaLinhVuc: không khớp với CSDL thủ tục hành chính quốc gia';
  if (!oneOf(f['LoaiDoiTuong']!, range(1, 4))) return 'LoaiDoiTuong: phải là 1, 2, 3 hoặc 4';
  if (!oneOf(f['KenhThucHien']!, range(1, 3))) return 'KenhThucHien: phải là 1, 2 hoặc 3';
  if (!oneOf(f['HinhThuc']!, ['0', '1'])) return 'HinhThuc: phải là 0 hoặc 1';
  if (!oneOf(f['TrangThaiHoSo']!, STATUSES)) return 'TrangThaiHoSo: phải từ 1 đến 10';
  if (parseCompact(f['NgayTiepNhan']!) === undefined) return `NgayTiepNhan: sai ${COMPACT_DATE}`;
  for (const field of ['NgayHenTra', 'NgayKetThucXuLy', 'NgayTra']) {
    const bad = optionalDate(f, field);
    if (bad) return bad;
  }
  if (NEEDS_END.has(f['TrangThaiHoSo']!) && !f['NgayKetThucXuLy']) return `NgayKetThucXuLy: bắt buộc với trạng thái ${f['TrangThaiHoSo']}`;
  if (f['TrangThaiHoSo'] === '10' && !f['NgayTra']) return 'NgayTra: bắt buộc với trạng thái 10';
  if (charCount(f['TrichYeuHoSo']!) > 1000) return 'TrichYeuHoSo: vượt quá 1000 ký tự';
  if (f['DuocThanhToanTrucTuyen'] !== undefined && !oneOf(f['DuocThanhToanTrucTuyen'], ['0', '1', '2']))
    return 'DuocThanhToanTrucTuyen: phải là 0, 1 hoặc 2';
  if (f['HoSoCoThanhPhanSoHoa'] !== undefined && !oneOf(f['HoSoCoThanhPhanSoHoa'], ['0', '1'])) return 'HoSoCoThanhPhanSoHoa: phải là 0 hoặc 1';

  const lists = {} as Record<(typeof LIST_FIELDS)[number], Record<string, unknown>[]>;
  for (const field of LIST_FIELDS) {
    const items = listItems(item, field);
    if (typeof items === 'string') return items;
    lists[field] = items;
  }
  for (const [i, id] of lists.DinhDanhCHS.entries()) {
    const loai = id['LoaiDinhDanh'];
    const so = typeof id['SoDinhDanh'] === 'string' ? id['SoDinhDanh'] : '';
    const ok =
      (loai === '1' && /^\d{12}$/.test(so)) || (loai === '2' && /^\d{9}$/.test(so)) || (loai === '3' && /^(\d{10}|\d{13}|\d{10}-\d{3})$/.test(so));
    if (!ok) return `DinhDanhCHS[${i}].LoaiDinhDanh: không khớp với SoDinhDanh (1: 12 chữ số, 2: 9 chữ số, 3: mã số thuế)`;
  }
  for (const [i, doc] of lists.TaiLieuNop.entries())
    if (doc['DuocSoHoa'] !== undefined && !oneOf(doc['DuocSoHoa'] as string, ['0', '1'])) return `TaiLieuNop[${i}].DuocSoHoa: phải là 0 hoặc 1`;
  for (const [i, fee] of lists.DanhSachLePhi.entries())
    if (!/^\d+$/.test((fee['Gia'] as string | undefined) ?? '')) return `DanhSachLePhi[${i}].Gia: phải là số tiền (VNĐ)`;
  for (const [i, supplement] of lists.DanhSachHoSoBoSung.entries())
    for (const field of ['NgayYeuCauBoSung', 'NgayTiepNhanBoSung', 'NgayHenTraTruoc', 'NgayHenTraMoi']) {
      const bad = optionalDate(supplement, field, `DanhSachHoSoBoSung[${i}].${field}`);
      if (bad) return bad;
    }
  for (const [i, result] of lists.DanhSachGiayToKetQua.entries())
    if (!result['TenGiayTo']) return `DanhSachGiayToKetQua[${i}].TenGiayTo: bắt buộc`;
  return undefined;
}

export function validateStep(step: unknown): string | undefined {
  if (!isObject(step)) return 'Dữ liệu tiến độ phải là đối tượng';
  const notString = stringsOnly(step, '');
  if (notString) return notString;
  const f = step as Record<string, string>;
  if (!f['MaHoSo']) return 'MaHoSo: bắt buộc';
  if (f['NguoiXuLy'] !== undefined && charCount(f['NguoiXuLy']) > 50) return 'NguoiXuLy: vượt quá 50 ký tự';
  if (!oneOf(f['TrangThai'] ?? '', STATUSES)) return 'TrangThai: phải từ 1 đến 10';
  if (!f['ThoiDiemXuLy']) return 'ThoiDiemXuLy: bắt buộc';
  if (parseCompact(f['ThoiDiemXuLy']) === undefined) return `ThoiDiemXuLy: sai ${COMPACT_DATE}`;
  for (const field of ['NgayBatDau', 'NgayKetThucTheoQuyDinh']) {
    const bad = optionalDate(f, field);
    if (bad) return bad;
  }
  return undefined;
}
