import { BUSINESS_PROCEDURES, BUSINESS_UNMAPPED_CODES } from '../catalog';
import { makeFullName, makePerson, THANH_HOA_COMMUNES, type Person } from '../shared/people';
import type { Random } from '../shared/random';
import type { BusinessApplicant, BusinessChannel, BusinessDossierType, BusinessFee, Enterprise, HouseholdBusiness } from './store';

/**
 * The content of generated business dossiers: who applies, for which household business or
 * enterprise, where, what is paid and submitted, and the path the dossier will take. Pure given the
 * random stream.
 */
export interface QuirkShares {
  /** Dossiers whose applicant's name is in Unicode NFD. Default 0.1. */
  nfd?: number;
  /** Dossiers whose business name holds `&` or quotes (escaped on the wire). Default 0.15. */
  specialChars?: number;
}

/**
 * The changes a dossier goes through after its creation, each appending a `<Buoc>`:
 * receive DA_TIEP_NHAN, process DANG_XU_LY, supplement YEU_CAU_BO_SUNG, resupply DANG_XU_LY,
 * issue DA_CAP_GCN, deliver DA_TRA_KET_QUA, reject TU_CHOI, withdraw RUT_HO_SO, stop DUNG_XU_LY.
 */
export type Step = 'receive' | 'process' | 'supplement' | 'resupply' | 'issue' | 'deliver' | 'reject' | 'withdraw' | 'stop';

export interface Agency {
  code: string;
  name: string;
}

/** Enterprises register at the provincial business registration office (the agency of the spec's sample). */
export const PROVINCIAL_OFFICE: Agency = { code: '000.00.05.H56', name: 'Phòng Đăng ký kinh doanh - Sở Tài chính' };

export interface DossierPlan {
  loaiHoSo: BusinessDossierType;
  maTTHC: string;
  agency: Agency;
  kenhNop: BusinessChannel;
  /** Starts DA_NOP without NgayTiepNhan (submitted online, not yet received). */
  pending: boolean;
  /** How long before its creation the applicant submitted it (online the evening before, by post days before). */
  submittedAgoMs: number;
  applicant: BusinessApplicant;
  household?: HouseholdBusiness;
  enterprise?: Enterprise;
  /** The code the registration receives: MaSoHKD at reception, MaSoDoanhNghiep with the certificate. */
  newCode?: string;
  fees: BusinessFee[];
  files: { name: string; digitized: boolean }[];
  /** What a supplement request asks for (it then arrives as a new TaiLieu). */
  supplementNeed: string;
  resultName: string;
  rejectReason: string;
  stopReason: string;
  steps: Step[];
}

export interface PlanOptions {
  /** Changes after creation, inclusive range. */
  changes: [number, number];
  /** Share of dossiers using a local code missing from the mapping table. */
  unmappedShare: number;
  /** Whether the path ends the dossier (DA_CAP_GCN, DA_TRA_KET_QUA, TU_CHOI, RUT_HO_SO or DUNG_XU_LY). */
  finish: boolean;
  /** Share of online dossiers that start not yet received. */
  pendingShare: number;
  quirks?: QuirkShares;
}

export function isMapped(maTTHC: string): boolean {
  return Object.hasOwn(BUSINESS_PROCEDURES, maTTHC);
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Local code by dossier type; DN-CN01 (a branch registration, left unmapped) is a change of the enterprise. */
const TYPE_OF: Record<string, BusinessDossierType> = {
  HKD01: 'HKD_DANG_KY_MOI',
  HKD02: 'HKD_THAY_DOI',
  HKD03: 'HKD_CHAM_DUT',
  DN01: 'DN_DANG_KY_MOI',
  DN02: 'DN_THAY_DOI',
  'DN-CN01': 'DN_THAY_DOI',
};
const CODE_WEIGHT: Record<string, number> = { HKD01: 35, HKD02: 15, HKD03: 10, DN01: 25, DN02: 15 };

const TRADES: readonly (readonly [shop: string, trade: string])[] = [
  ['Tạp hóa', 'Bán lẻ lương thực, thực phẩm'],
  ['Quán phở', 'Dịch vụ ăn uống'],
  ['Quán cà phê', 'Dịch vụ phục vụ đồ uống'],
  ['Tiệm may', 'May trang phục'],
  ['Sửa chữa xe máy', 'Bảo dưỡng và sửa chữa mô tô, xe máy'],
  ['Cửa hàng vật liệu xây dựng', 'Bán lẻ vật liệu xây dựng'],
  ['Cửa hàng điện thoại', 'Bán lẻ thiết bị viễn thông'],
  ['Tiệm tóc', 'Cắt tóc, làm đầu, gội đầu'],
  ['Cửa hàng hải sản', 'Bán lẻ thủy sản'],
];
const LEGAL_FORMS: readonly (readonly [string, string, number])[] = [
  ['TNHH_MTV', 'Công ty TNHH', 45],
  ['TNHH_2TV', 'Công ty TNHH', 25],
  ['CO_PHAN', 'Công ty Cổ phần', 20],
  ['DNTN', 'Doanh nghiệp tư nhân', 10],
];
const INDUSTRIES = ['Thương mại', 'Thương mại & Dịch vụ', 'Xây dựng', 'Vận tải', 'Đầu tư & Phát triển', 'Nông sản', 'Du lịch', 'Công nghệ'];
const BRANDS = ['Sông Mã', 'Hàm Rồng', 'Lam Sơn', 'Sầm Sơn', 'Nghi Sơn', 'Bến En', 'Pù Luông', 'Hạc Thành', 'Hoàng Long', 'Minh Phát', 'An Khang', 'Thành Đạt'];
/** Second letter of MaSoHKD, by district registration office. */
const HKD_LETTERS = 'ABCDEGHKLMNPQS';
/** Tax-office prefixes of the 10-digit enterprise code: Thanh Hóa's 28, and enterprises moved from elsewhere (leading 0). */
const TAX_PREFIXES: readonly (readonly [string, number])[] = [['28', 55], ['01', 15], ['03', 10], ['08', 20]];

const FILES: Record<string, readonly string[]> = {
  HKD01: ['Giấy đề nghị đăng ký hộ kinh doanh', 'Bản sao CCCD của chủ hộ kinh doanh', 'Hợp đồng thuê địa điểm kinh doanh'],
  HKD02: ['Thông báo thay đổi nội dung đăng ký hộ kinh doanh', 'Bản sao Giấy chứng nhận đăng ký hộ kinh doanh'],
  HKD03: ['Thông báo về việc chấm dứt hoạt động hộ kinh doanh', 'Bản gốc Giấy chứng nhận đăng ký hộ kinh doanh'],
  DN01: ['Giấy đề nghị đăng ký doanh nghiệp', 'Điều lệ công ty', 'Danh sách thành viên', 'Bản sao giấy tờ pháp lý của cá nhân'],
  DN02: ['Thông báo thay đổi nội dung đăng ký doanh nghiệp', 'Nghị quyết về việc thay đổi nội dung đăng ký doanh nghiệp'],
  'DN-CN01': ['Thông báo về việc đăng ký hoạt động chi nhánh', 'Quyết định thành lập chi nhánh'],
};
const RESULTS: Record<string, string> = {
  HKD01: 'Giấy chứng nhận đăng ký hộ kinh doanh',
  HKD02: 'Giấy chứng nhận đăng ký hộ kinh doanh',
  HKD03: 'Giấy xác nhận về việc chấm dứt hoạt động hộ kinh doanh',
  DN01: 'Giấy chứng nhận đăng ký doanh nghiệp',
  DN02: 'Giấy chứng nhận đăng ký doanh nghiệp',
  'DN-CN01': 'Giấy chứng nhận đăng ký hoạt động chi nhánh',
};
const SUPPLEMENTS: Record<'HKD' | 'DN', readonly string[]> = {
  HKD: ['bản sao hợp đồng thuê địa điểm kinh doanh', 'giấy đề nghị có chữ ký của chủ hộ'],
  DN: ['danh sách thành viên có đủ chữ ký', 'điều lệ công ty có đủ chữ ký'],
};
const REJECT_REASONS = ['Hồ sơ không thuộc thẩm quyền tiếp nhận', 'Thành phần hồ sơ không đầy đủ', 'Người nộp không có giấy tờ ủy quyền hợp lệ'];
const STOP_REASONS = ['Quá thời hạn bổ sung hồ sơ', 'Tên doanh nghiệp trùng hoặc gây nhầm lẫn', 'Ngành nghề đăng ký thuộc diện cấm kinh doanh'];

/** The ASCII e-mail local part of a Vietnamese name: "Đỗ Thị Lan" -> "lan.do". */
function mailbox(person: Person): string {
  const ascii = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
  return `${ascii(person.givenName)}.${ascii(person.familyName)}`;
}

function applicantOf(random: Random, person: Person, online: boolean, nfd: boolean): BusinessApplicant {
  const applicant: BusinessApplicant = { HoTen: nfd ? person.fullName.normalize('NFD') : person.fullName, SoDinhDanh: person.cccd };
  if (random.chance(0.9)) applicant.DienThoai = person.phone;
  if (random.chance(online ? 0.8 : 0.3)) applicant.Email = `${mailbox(person)}@${random.pick(['gmail.com', 'example.vn', 'yahoo.com.vn'])}`;
  return applicant;
}

/** `38H8001234`: Thanh Hóa's 38, the district office's letter, 8, six digits. */
const householdCode = (random: Random) => `38${random.pick([...HKD_LETTERS])}8${random.digits(6)}`;
/** 10 digits from a tax-office prefix (the check digit is not modelled). */
const enterpriseCode = (random: Random) => `${random.weighted(TAX_PREFIXES)}${random.digits(8)}`;

function householdOf(random: Random, owner: Person, special: boolean, registered: boolean): HouseholdBusiness {
  const [shop, trade] = random.pick(TRADES);
  const partner = makeFullName(random, owner.sex === 'M' ? 'F' : 'M').givenName;
  const name = special ? random.pick([`${shop} ${owner.givenName} & ${partner}`, `${shop} "${owner.givenName}"`, `${shop} '${owner.sex === 'F' ? 'Cô' : 'Chú'} ${owner.givenName}'`]) : `${shop} ${owner.givenName}`;
  const business: HouseholdBusiness = { TenHoKinhDoanh: name, NganhNghe: trade, VonKinhDoanh: random.int(3, 80) * 10_000_000 };
  if (registered) business.MaSoHKD = householdCode(random);
  return business;
}

function enterpriseOf(random: Random, founder: Person, special: boolean, registered: boolean): Enterprise {
  const [form, label] = random.weighted(LEGAL_FORMS.map(([f, l, w]) => [[f, l] as const, w] as const));
  const brand = special
    ? random.pick([`${founder.givenName} & ${makeFullName(random, random.chance(0.5) ? 'M' : 'F').givenName}`, `"${random.pick(BRANDS)}"`])
    : random.pick(BRANDS);
  const name = form === 'DNTN' ? `${label} ${brand}` : `${label} ${random.pick(INDUSTRIES)} ${brand}`;
  const enterprise: Enterprise = { TenTiengViet: name, LoaiHinh: form };
  if (registered) enterprise.MaSoDoanhNghiep = enterpriseCode(random);
  return enterprise;
}

/** Fees in whole VND. Enterprise registration is free online, as in the spec's sample. */
function feesOf(random: Random, maTTHC: string, online: boolean): BusinessFee[] {
  const fee = (Ten: string, SoTien: number): BusinessFee => ({ Ten, SoTien, ThanhToanTrucTuyen: online && SoTien > 0 && random.chance(0.7) });
  switch (maTTHC) {
    case 'HKD01':
      return [fee('Lệ phí đăng ký hộ kinh doanh', 100_000)];
    case 'HKD02':
      return [fee('Lệ phí đăng ký thay đổi nội dung hộ kinh doanh', 50_000)];
    case 'HKD03':
      return [];
    case 'DN01':
      return [fee('Lệ phí đăng ký doanh nghiệp', online ? 0 : 50_000), fee('Phí công bố nội dung đăng ký doanh nghiệp', 100_000)];
    default:
      return random.chance(0.5) ? [fee('Lệ phí đăng ký thay đổi nội dung đăng ký doanh nghiệp', online ? 0 : 50_000)] : [fee('Phí công bố nội dung đăng ký doanh nghiệp', 100_000)];
  }
}

/**
 * Statuses only move forward (canonical.md's order); the one loop is the supplement round trip
 * DANG_XU_LY -> YEU_CAU_BO_SUNG -> DANG_XU_LY. A refusal (TU_CHOI) comes right at intake, a
 * withdrawal or stop only once processing began, a delivery only after the certificate.
 */
function buildSteps(random: Random, changes: number, pending: boolean, finish: boolean): Step[] {
  const steps: Step[] = [];
  let remaining = changes;
  if (remaining === 0) return steps;
  if (pending) {
    if (finish && remaining === 1) return ['reject']; // refused online, never received
    steps.push('receive');
    remaining--;
  }
  let ending: Step[] = [];
  if (finish) {
    ending =
      remaining === 1
        ? [random.chance(0.1) ? 'reject' : 'issue']
        : random.weighted<Step[]>([[['issue', 'deliver'], 40], [['issue'], 40], [['withdraw'], 10], [['stop'], 10]]);
  }
  let middle = remaining - ending.length;
  if (middle > 0) {
    steps.push('process');
    middle--;
  }
  while (middle >= 2 && random.chance(0.5)) {
    steps.push('supplement', 'resupply');
    middle -= 2;
  }
  if (!finish && middle === 1 && random.chance(0.3)) {
    steps.push('supplement'); // left waiting for the applicant
    middle = 0;
  }
  for (; middle > 0; middle--) steps.push('process');
  return [...steps, ...ending];
}

export function planDossier(random: Random, options: PlanOptions): DossierPlan {
  const quirks = options.quirks ?? {};
  const maTTHC = random.chance(options.unmappedShare) ? random.pick(BUSINESS_UNMAPPED_CODES) : random.weighted(Object.keys(BUSINESS_PROCEDURES).map((c) => [c, CODE_WEIGHT[c] ?? 1] as const));
  const loaiHoSo = TYPE_OF[maTTHC] ?? 'DN_THAY_DOI';
  const enterprise = loaiHoSo.startsWith('DN_');
  const kenhNop = random.weighted<BusinessChannel>(
    enterprise ? [['TRUC_TUYEN', 75], ['TRUC_TIEP', 20], ['BUU_CHINH', 5]] : [['TRUC_TIEP', 55], ['TRUC_TUYEN', 40], ['BUU_CHINH', 5]],
  );
  const online = kenhNop === 'TRUC_TUYEN';
  const pending = online && random.chance(options.pendingShare);
  const commune = random.pick(THANH_HOA_COMMUNES);
  const person = makePerson(random, { birthYears: [1960, 2004] });
  const special = random.chance(quirks.specialChars ?? 0.15);
  const isNew = loaiHoSo === 'HKD_DANG_KY_MOI' || loaiHoSo === 'DN_DANG_KY_MOI';
  const changes = random.int(Math.min(...options.changes), Math.max(...options.changes));
  const plan: DossierPlan = {
    loaiHoSo,
    maTTHC,
    agency: enterprise ? PROVINCIAL_OFFICE : { code: commune.agencyCode, name: commune.agencyName },
    kenhNop,
    pending,
    submittedAgoMs: kenhNop === 'TRUC_TIEP' || pending ? 0 : online ? random.int(10 * 60_000, 14 * HOUR) : random.int(1, 3) * DAY + random.int(0, 8 * HOUR),
    applicant: applicantOf(random, person, online, random.chance(quirks.nfd ?? 0.1)),
    fees: feesOf(random, maTTHC, online),
    files: (FILES[maTTHC] ?? []).filter((_, i) => i < 2 || random.chance(0.6)).map((name) => ({ name, digitized: online || random.chance(0.85) })),
    supplementNeed: random.pick(SUPPLEMENTS[enterprise ? 'DN' : 'HKD']),
    resultName: RESULTS[maTTHC] ?? 'Kết quả giải quyết',
    rejectReason: random.pick(REJECT_REASONS),
    stopReason: random.pick(STOP_REASONS),
    steps: buildSteps(random, changes, pending, options.finish),
  };
  if (enterprise) plan.enterprise = enterpriseOf(random, person, special, !isNew);
  else plan.household = householdOf(random, person, special, !isNew);
  if (isNew) plan.newCode = enterprise ? enterpriseCode(random) : householdCode(random);
  // Some applicants are an authorised person (a lawyer, a registration service) rather than the owner.
  if (random.chance(0.15)) plan.applicant = applicantOf(random, makePerson(random, { birthYears: [1975, 2000] }), online, false);
  return plan;
}
