/**
 * The sandbox's slice of the national procedure catalogue (what DVCQG's `LayThuTuc` answers) and
 * the local codes each simulated source uses. The simulated portal validates names and sectors
 * against it, and the zero-configuration gateway is configured from it.
 */
export interface CatalogEntry {
  name: string;
  sectorCode: string;
  sectorName: string;
  /** Working days; 0 is a same-day procedure. */
  statutoryDays: number;
}

export const NATIONAL_CATALOG: Readonly<Record<string, CatalogEntry>> = {
  '1.001193': { name: 'Đăng ký khai sinh', sectorCode: 'G15-TP07', sectorName: 'Hộ tịch', statutoryDays: 0 },
  '1.000656': { name: 'Đăng ký khai tử', sectorCode: 'G15-TP07', sectorName: 'Hộ tịch', statutoryDays: 1 },
  '1.000894': { name: 'Đăng ký kết hôn', sectorCode: 'G15-TP07', sectorName: 'Hộ tịch', statutoryDays: 1 },
  '1.012765': { name: 'Đăng ký biến động quyền sử dụng đất', sectorCode: 'G13-TN02', sectorName: 'Đất đai', statutoryDays: 10 },
  '1.012790': { name: 'Tách thửa hoặc hợp thửa đất', sectorCode: 'G13-TN02', sectorName: 'Đất đai', statutoryDays: 15 },
  '2.000720': { name: 'Đăng ký thành lập hộ kinh doanh', sectorCode: 'G05-KD10', sectorName: 'Thành lập và hoạt động của hộ kinh doanh', statutoryDays: 3 },
  '2.000575': { name: 'Đăng ký thay đổi nội dung đăng ký hộ kinh doanh', sectorCode: 'G05-KD10', sectorName: 'Thành lập và hoạt động của hộ kinh doanh', statutoryDays: 3 },
  '2.000540': { name: 'Chấm dứt hoạt động hộ kinh doanh', sectorCode: 'G05-KD10', sectorName: 'Thành lập và hoạt động của hộ kinh doanh', statutoryDays: 3 },
  '1.010026': { name: 'Đăng ký thành lập doanh nghiệp', sectorCode: 'G05-KD01', sectorName: 'Thành lập và hoạt động doanh nghiệp', statutoryDays: 3 },
  '1.010027': { name: 'Đăng ký thay đổi nội dung đăng ký doanh nghiệp', sectorCode: 'G05-KD01', sectorName: 'Thành lập và hoạt động doanh nghiệp', statutoryDays: 3 },
};

/** Local procedure codes of the simulated civil-status system and their national codes. */
export const CIVIL_STATUS_PROCEDURES: Readonly<Record<string, string>> = {
  'KS-01': '1.001193',
  'KT-01': '1.000656',
  'KH-01': '1.000894',
};
/** Local codes the simulated civil-status system also uses, deliberately left out of the mapping table. */
export const CIVIL_STATUS_UNMAPPED_CODES: readonly string[] = ['XNHN-01', 'KS-LD'];

export const SANDBOX_PROVINCE = 'H56';

/** Process codes (`MaQuyTrinh`) of the simulated land registration system and their national codes. */
export const LAND_PROCEDURES: Readonly<Record<string, string>> = {
  'DKBD-CN': '1.012765',
  'TACH-THUA': '1.012790',
};
/** Land process codes deliberately left out of the mapping table. */
export const LAND_UNMAPPED_CODES: readonly string[] = ['CAP-DOI-GCN'];

/** Local procedure codes (`MaTTHC`) of the simulated business registration system. */
export const BUSINESS_PROCEDURES: Readonly<Record<string, string>> = {
  HKD01: '2.000720',
  HKD02: '2.000575',
  HKD03: '2.000540',
  DN01: '1.010026',
  DN02: '1.010027',
};
/** Business procedure codes deliberately left out of the mapping table. */
export const BUSINESS_UNMAPPED_CODES: readonly string[] = ['DN-CN01'];
