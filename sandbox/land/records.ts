import { LAND_PROCEDURES, LAND_UNMAPPED_CODES, NATIONAL_CATALOG } from '../catalog';
import { makeAddress, makePerson, THANH_HOA_COMMUNES, type Commune } from '../shared/people';
import type { Random } from '../shared/random';

/**
 * What the land system sends (sources/land.md) and the content of generated dossiers: who, which
 * parcels, which process, and the path each dossier takes. Pure given the random stream.
 */

export interface TiepNhanHoSoBody {
  SoBienNhan: string;
  MaHoSoMotCua: string | null;
  NguoiTiepNhan: string;
  NgayTiepNhan: string;
  NgayHenTra: string;
  TinhId: number;
  HuyenId: number;
  XaId: number;
  DiaChiTaiSan: string;
  ThongTinNguoiNopDon: { HoTen: string; SoChungMinh: string; DiaChiChiTiet: string; SoDienThoai: string | null; Email: string | null };
  ThongTinQuyTrinh: { MaQuyTrinh: string; TenQuyTrinh: string };
  ThongTinThuaDat: { SoThuTuThua: string; SoHieuBanDo: string; DienTich: number; DiaChiChiTiet: string }[];
  DanhSachGiayToDinhKem: { TenGiayTo: string; SoBanChinh: number; SoBanSao: number; TapTin: { name: string; url: string } | null }[];
  KenhTiepNhan: 1 | 2 | 3;
}
export interface ChuyenHoSoBody {
  SoBienNhan: string;
  MaCanBoChuyen: string;
  MaCanBoNhan: string;
  MaTrangThai: TransferStatus;
  NoiDungXuLy: string;
  NgayChuyen: string;
  HanXuLy: string;
}
export interface YeuCauBoSungHoSoBody { SoBienNhan: string; NgayChoBoSung: string; MaCanBoXuLy: string; LaTamDung: boolean; GhiChu: string }
export interface NhanBoSungHoSoBody { SoBienNhan: string; NgayNhanBoSung: string; NgayHenTraMoi: string }
export interface GuiKetQuaThueBody {
  SoBienNhan: string;
  NgayCoKetQuaThue: string;
  DanhSachThongBaoThue: { HoTenChu: string; LoaiThue: string; SoThongBaoThue: string; DuongDanThongBaoThue: string }[];
}
export interface KetThucHoSoBody {
  SoBienNhan: string;
  NgayKetThuc: string;
  MaCanBoXuLy: string;
  /** 0 result issued, 1 returned/withdrawn. */
  TrangThaiKetThuc: 0 | 1;
  DanhSachGiayToKetQua: { TenGiayTo: string; KieuFile: string; LinkFile: string; SoBanSao: number; SoBanChinh: number }[];
}

export interface LandEventBodies {
  TiepNhanHoSo: TiepNhanHoSoBody;
  ChuyenHoSo: ChuyenHoSoBody;
  YeuCauBoSungHoSo: YeuCauBoSungHoSoBody;
  NhanBoSungHoSo: NhanBoSungHoSoBody;
  GuiKetQuaThue: GuiKetQuaThueBody;
  KetThucHoSo: KetThucHoSoBody;
}
export type LandEventName = keyof LandEventBodies;
export type LandEventBody = LandEventBodies[LandEventName];

/** Where the event's own time sits in its body. */
export const TIME_FIELD = {
  TiepNhanHoSo: 'NgayTiepNhan',
  ChuyenHoSo: 'NgayChuyen',
  YeuCauBoSungHoSo: 'NgayChoBoSung',
  NhanBoSungHoSo: 'NgayNhanBoSung',
  GuiKetQuaThue: 'NgayCoKetQuaThue',
  KetThucHoSo: 'NgayKetThuc',
} as const satisfies { [E in LandEventName]: keyof LandEventBodies[E] };

export type TransferStatus = 'THAM_DINH' | 'DO_DAC' | 'TRINH_KY';

export interface StaffMember {
  name: string;
  /** The land system's user name: given name then initials, unaccented (`Lê Thị Hoa` → `hoalt`). */
  username: string;
}

export type LandStep =
  | { event: 'ChuyenHoSo'; status: TransferStatus; from: StaffMember; to: StaffMember }
  | { event: 'YeuCauBoSungHoSo'; by: StaffMember; note: string }
  | { event: 'NhanBoSungHoSo'; pausedWorkingDays: number }
  | { event: 'GuiKetQuaThue'; taxes: string[] }
  | { event: 'KetThucHoSo'; by: StaffMember; outcome: 0 | 1 };

export interface LandPlan {
  maQuyTrinh: string;
  tenQuyTrinh: string;
  mapped: boolean;
  statutoryDays: number;
  commune: Commune;
  huyenId: number;
  xaId: number;
  assetAddress: string;
  applicant: TiepNhanHoSoBody['ThongTinNguoiNopDon'];
  parcels: TiepNhanHoSoBody['ThongTinThuaDat'];
  /** Attached documents; `file` is absent for a paper-only document. */
  attachments: { name: string; originals: number; copies: number; file?: string }[];
  kenhTiepNhan: 1 | 2 | 3;
  receiver: StaffMember;
  /** The events after `TiepNhanHoSo`, in order. */
  steps: LandStep[];
  /** Per event (reception first): extra 100-ns ticks of a fractional time, or null for a whole second. */
  fractions: (number | null)[];
  resultNames: string[];
}

export interface LandPlanShares {
  /** Dossiers whose process code has no mapping. Default 0.08. */
  unmappedShare?: number;
  /** Dossiers with a supplement request. Default 0.25. */
  supplementShare?: number;
  /** Dossiers that end returned or withdrawn (`TrangThaiKetThuc` 1). Default 0.08. */
  withdrawnShare?: number;
  /** Applicants whose name is sent in Unicode NFD. Default 0.05. */
  nfdShare?: number;
  /** Event times that carry fractional seconds. Default 0.3. */
  fractionalShare?: number;
}

export function isMapped(maQuyTrinh: string): boolean {
  return Object.hasOwn(LAND_PROCEDURES, maQuyTrinh);
}

/** `Lê Thị Hoa` → `Le Thi Hoa`. */
const unaccented = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');

function staffMember(name: string): StaffMember {
  const parts = unaccented(name).toLowerCase().split(' ');
  return { name, username: parts.at(-1)! + parts.slice(0, -1).map((p) => p[0]).join('') };
}

/** The office's staff by role; the first two are the spec's own example. */
const STAFF = {
  receivers: ['Lê Thị Hoa', 'Nguyễn Thu Trang', 'Đỗ Minh Châu'].map(staffMember),
  processors: ['Phạm Văn Tuấn', 'Nguyễn Văn Nam', 'Trịnh Thị Hằng', 'Lê Quang Huy'].map(staffMember),
  surveyors: ['Hoàng Văn Sơn', 'Bùi Đức Thắng'].map(staffMember),
  leaders: ['Mai Xuân Trường', 'Đặng Thị Ngọc Lan'].map(staffMember),
} as const;

interface Procedure {
  name: string;
  /** Working days when the national catalogue has no entry (unmapped codes). */
  days: number;
  documents: readonly (readonly [name: string, file: string])[];
  /** Chance of a field survey step (DO_DAC). */
  survey: number;
  /** Chance of a tax notice, and the taxes it lists. */
  tax: number;
  taxes: readonly string[];
}

const PROCEDURES: Readonly<Record<string, Procedure>> = {
  'DKBD-CN': {
    name: 'Đăng ký biến động do chuyển nhượng',
    days: 10,
    documents: [
      ['Đơn đăng ký biến động đất đai, tài sản gắn liền với đất', 'don-dang-ky-bien-dong.pdf'],
      ['Hợp đồng chuyển nhượng', 'hop-dong.pdf'],
      ['Giấy chứng nhận quyền sử dụng đất (bản gốc)', 'gcn-goc.pdf'],
      ['Tờ khai thuế thu nhập cá nhân', 'to-khai-tncn.pdf'],
      ['Tờ khai lệ phí trước bạ', 'to-khai-lptb.pdf'],
    ],
    survey: 0.15,
    tax: 0.85,
    taxes: ['Thuế TNCN', 'Lệ phí trước bạ'],
  },
  'TACH-THUA': {
    name: 'Tách thửa đất',
    days: 15,
    documents: [
      ['Đơn đề nghị tách thửa', 'don.pdf'],
      ['Giấy chứng nhận quyền sử dụng đất (bản gốc)', 'gcn-goc.pdf'],
      ['Bản vẽ tách thửa', 'ban-ve-tach-thua.pdf'],
    ],
    survey: 0.85,
    tax: 0.2,
    taxes: ['Lệ phí trước bạ'],
  },
  'CAP-DOI-GCN': {
    name: 'Cấp đổi Giấy chứng nhận quyền sử dụng đất',
    days: 7,
    documents: [
      ['Đơn đề nghị cấp đổi Giấy chứng nhận', 'don-cap-doi.pdf'],
      ['Giấy chứng nhận đã cấp (bản gốc)', 'gcn-da-cap.pdf'],
    ],
    survey: 0.25,
    tax: 0.1,
    taxes: ['Tiền sử dụng đất'],
  },
};

/** Administrative unit codes by commune agency. Quảng Phú's are the spec's; the others are illustrative. */
const ADMIN_UNITS: Readonly<Record<string, { huyenId: number; xaId: number }>> = {
  '000.00.16.H56': { huyenId: 380, xaId: 16066 },
  '000.00.11.H56': { huyenId: 380, xaId: 14758 },
  '000.00.12.H56': { huyenId: 382, xaId: 14797 },
  '000.00.13.H56': { huyenId: 381, xaId: 14785 },
  '000.00.14.H56': { huyenId: 399, xaId: 15901 },
  '000.00.15.H56': { huyenId: 400, xaId: 16003 },
  '000.00.17.H56': { huyenId: 401, xaId: 16141 },
  '000.00.18.H56': { huyenId: 395, xaId: 15529 },
  '000.00.19.H56': { huyenId: 397, xaId: 15676 },
  '000.00.21.H56': { huyenId: 394, xaId: 15445 },
  '000.00.22.H56': { huyenId: 393, xaId: 15394 },
  '000.00.23.H56': { huyenId: 404, xaId: 16351 },
  '000.00.24.H56': { huyenId: 398, xaId: 15808 },
  '000.00.25.H56': { huyenId: 407, xaId: 16525 },
};

const TRANSFER_ROLE: Record<TransferStatus, keyof typeof STAFF> = { THAM_DINH: 'processors', DO_DAC: 'surveyors', TRINH_KY: 'leaders' };

export const TRANSFER_CONTENT: Record<TransferStatus, { content: string; days: number }> = {
  THAM_DINH: { content: 'Chuyển thẩm định hồ sơ', days: 3 },
  DO_DAC: { content: 'Chuyển đo đạc thực địa', days: 3 },
  TRINH_KY: { content: 'Trình lãnh đạo ký Giấy chứng nhận', days: 2 },
};

const SUPPLEMENT_NOTES = [
  'Bổ sung bản sao trích đo thửa đất',
  'Bổ sung văn bản thỏa thuận của các đồng sử dụng',
  'Bổ sung giấy tờ chứng minh quan hệ hôn nhân',
  'Bổ sung hợp đồng chuyển nhượng đã công chứng',
  'Chữ ký trong đơn không khớp, đề nghị ký lại',
];

const EMAIL_DOMAINS = ['gmail.com', 'gmail.com', 'yahoo.com.vn', 'example.vn'];

/** `Thôn 3, xã Quảng Phú, tỉnh Thanh Hóa` → `Thôn 3, xã Quảng Phú`, as the land system writes detail addresses. */
const withoutProvince = (address: string) => address.replace(/, tỉnh Thanh Hóa$/, '');

function applicantOf(random: Random, commune: Commune, nfd: boolean): LandPlan['applicant'] {
  const person = makePerson(random, { birthYears: [1950, 2000] });
  const home = random.chance(0.7) ? commune : random.pick(THANH_HOA_COMMUNES);
  const hoTen = nfd ? person.fullName.normalize('NFD') : person.fullName;
  const ascii = unaccented(person.fullName).toLowerCase().split(' ');
  return {
    HoTen: hoTen,
    // Older applicants still present the 9-digit CMND they registered with.
    SoChungMinh: person.cmnd ?? person.cccd,
    DiaChiChiTiet: withoutProvince(makeAddress(random, home)),
    SoDienThoai: random.chance(0.9) ? person.phone : null,
    Email: random.chance(0.2) ? `${ascii.at(-1)}.${ascii.slice(0, -1).map((p) => p[0]).join('')}@${random.pick(EMAIL_DOMAINS)}` : null,
  };
}

/** Area in m², to 0–2 decimals as the cadastral map gives it. */
const area = (random: Random, min: number, max: number) => random.int(min * 4, max * 4) / 4;

function parcelsOf(random: Random, maQuyTrinh: string, local: string): LandPlan['parcels'] {
  const count = maQuyTrinh === 'TACH-THUA' ? random.weighted([[2, 80], [3, 20]]) : maQuyTrinh === 'DKBD-CN' && random.chance(0.15) ? 2 : 1;
  const sheet = String(random.int(1, 48)).padStart(2, '0');
  const first = random.int(1, 780);
  return Array.from({ length: count }, (_, i) => ({
    SoThuTuThua: String(first + i),
    SoHieuBanDo: sheet,
    DienTich: area(random, 60, 600),
    DiaChiChiTiet: local,
  }));
}

function stepsOf(random: Random, procedure: Procedure, receiver: StaffMember, shares: Required<LandPlanShares>): LandStep[] {
  const withdrawn = random.chance(shares.withdrawnShare);
  const supplement = random.chance(shares.supplementShare);
  const survey = random.chance(procedure.survey);
  const tax = random.chance(procedure.tax);
  const sign = random.chance(0.7);
  const supplementAfterSurvey = survey && random.chance(0.5);
  const steps: LandStep[] = [];
  let handler = receiver;
  let ended = false;
  const move = (status: TransferStatus) => {
    const to = random.pick(STAFF[TRANSFER_ROLE[status]]);
    steps.push({ event: 'ChuyenHoSo', status, from: handler, to });
    handler = to;
  };
  const end = (outcome: 0 | 1) => {
    steps.push({ event: 'KetThucHoSo', by: handler, outcome });
    ended = true;
  };
  const requestSupplement = () => {
    steps.push({ event: 'YeuCauBoSungHoSo', by: handler, note: random.pick(SUPPLEMENT_NOTES) });
    // A withdrawn dossier with a supplement request is one whose supplement never came: returned.
    if (withdrawn) end(1);
    else steps.push({ event: 'NhanBoSungHoSo', pausedWorkingDays: random.int(1, 5) });
  };

  move('THAM_DINH');
  if (supplement && !supplementAfterSurvey) requestSupplement();
  if (!ended && survey) move('DO_DAC');
  if (!ended && supplement && supplementAfterSurvey) requestSupplement();
  if (!ended && withdrawn) end(1);
  if (!ended && tax) steps.push({ event: 'GuiKetQuaThue', taxes: random.chance(0.3) ? procedure.taxes.slice(0, 1) : [...procedure.taxes] });
  if (!ended && sign) move('TRINH_KY');
  if (!ended) end(0);
  return steps;
}

function resultNamesOf(maQuyTrinh: string, parcels: LandPlan['parcels']): string[] {
  if (maQuyTrinh === 'TACH-THUA') return parcels.map((p) => `Giấy chứng nhận thửa ${p.SoThuTuThua}`);
  if (maQuyTrinh === 'CAP-DOI-GCN') return ['Giấy chứng nhận QSDĐ cấp đổi'];
  return ['Giấy chứng nhận QSDĐ'];
}

const DEFAULT_SHARES: Required<LandPlanShares> = {
  unmappedShare: 0.08,
  supplementShare: 0.25,
  withdrawnShare: 0.08,
  nfdShare: 0.05,
  fractionalShare: 0.3,
};

export function planLandDossier(random: Random, options: LandPlanShares = {}): LandPlan {
  const shares: Required<LandPlanShares> = {
    unmappedShare: options.unmappedShare ?? DEFAULT_SHARES.unmappedShare,
    supplementShare: options.supplementShare ?? DEFAULT_SHARES.supplementShare,
    withdrawnShare: options.withdrawnShare ?? DEFAULT_SHARES.withdrawnShare,
    nfdShare: options.nfdShare ?? DEFAULT_SHARES.nfdShare,
    fractionalShare: options.fractionalShare ?? DEFAULT_SHARES.fractionalShare,
  };
  const unmapped = random.chance(shares.unmappedShare);
  const maQuyTrinh = unmapped ? random.pick(LAND_UNMAPPED_CODES) : random.weighted([['DKBD-CN', 70], ['TACH-THUA', 30]]);
  const procedure = PROCEDURES[maQuyTrinh]!;
  const national = LAND_PROCEDURES[maQuyTrinh];
  const commune = random.pick(THANH_HOA_COMMUNES);
  const assetAddress = makeAddress(random, commune);
  const applicant = applicantOf(random, commune, random.chance(shares.nfdShare));
  const parcels = parcelsOf(random, maQuyTrinh, withoutProvince(assetAddress));
  const attachments = procedure.documents
    .filter((_, i) => i < 2 || random.chance(0.7))
    .map(([name, file]) => ({
      name,
      originals: 1,
      copies: random.chance(0.2) ? 1 : 0,
      // Some documents are handed in on paper and never scanned.
      ...(random.chance(0.85) ? { file } : {}),
    }));
  const receiver = random.pick(STAFF.receivers);
  const steps = stepsOf(random, procedure, receiver, shares);
  return {
    maQuyTrinh,
    tenQuyTrinh: procedure.name,
    mapped: !unmapped,
    statutoryDays: (national && NATIONAL_CATALOG[national]?.statutoryDays) || procedure.days,
    commune,
    ...ADMIN_UNITS[commune.agencyCode]!,
    assetAddress,
    applicant,
    parcels,
    attachments,
    kenhTiepNhan: random.weighted<1 | 2 | 3>([[1, 65], [2, 30], [3, 5]]),
    receiver,
    steps,
    fractions: Array.from({ length: steps.length + 1 }, () => (random.chance(shares.fractionalShare) ? (random.chance(0.5) ? random.int(1, 9999) : 0) : null)),
    resultNames: resultNamesOf(maQuyTrinh, parcels),
  };
}
