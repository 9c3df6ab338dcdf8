import { CIVIL_STATUS_PROCEDURES, CIVIL_STATUS_UNMAPPED_CODES } from '../catalog';
import { formatBirthDate, makeFullName, makePerson, THANH_HOA_COMMUNES, type Commune, type Person } from '../shared/people';
import type { Random } from '../shared/random';
import { formatDateCompact, vnParts } from '../shared/time';
import type { CivilStatusModule } from './store';
import { writeHoTichXml, type XmlElement } from './xml';

/**
 * The content of generated civil-status dossiers: who, where, which procedure, the XML `data`, and
 * the path the dossier will take. Pure given the random stream and the clock value passed in.
 */
export interface QuirkShares {
  /** Dossiers whose XML carries numeric character references. Default 0.15. */
  ncr?: number;
  /** Dossiers whose names are in Unicode NFD. Default 0.1. */
  nfd?: number;
  /** Dossiers with unknown extra elements. Default 0.1. */
  unknownElements?: number;
  /** Dossiers with a text holding XML-special characters (escaped). Default 0.1. */
  specialChars?: number;
}

export type Step = 'receive' | 'supplement' | 'resupply' | 'progress' | 'result' | 'reject';

export interface DossierPlan {
  module: CivilStatusModule;
  maTTHC: string;
  commune: Commune;
  kenhNop: 1 | 2 | 3;
  maHoSoLT: string | null;
  /** Starts at trangThai 1 without ngayTiepNhan (submitted online, not yet received). */
  pending: boolean;
  data: string;
  files: string[];
  steps: Step[];
  /** Whether the procedure is same-day (births) for the due date. */
  sameDay: boolean;
  resultName: string;
  resultContent: string;
  supplementNeed: string;
  supplementFile: string;
  rejectReason: string;
  quirks: { ncr: boolean; nfd: boolean; unknownElements: boolean; specialChars: boolean };
}

export interface PlanOptions {
  /** Changes after creation, inclusive range. */
  changes: [number, number];
  /** Share of dossiers using a local code missing from the mapping table. */
  unmappedShare: number;
  /** Whether the path ends in a final state (4 or 6). */
  finish: boolean;
  quirks?: QuirkShares;
  /** Share of online dossiers that start not yet received. Default 0.5. */
  pendingShare?: number;
}

export function isMapped(maTTHC: string): boolean {
  return Object.hasOwn(CIVIL_STATUS_PROCEDURES, maTTHC);
}

/** Module by national code for mapped local codes, by local code for the unmapped ones. */
const MODULE_BY_NATIONAL: Record<string, CivilStatusModule> = { '1.001193': 'LTKS', '1.000656': 'LTKT', '1.000894': 'LTKH' };
const MODULE_BY_UNMAPPED: Record<string, CivilStatusModule> = { 'KS-LD': 'LTKS', 'XNHN-01': 'LTKH' };
const MODULE_WEIGHT: Record<CivilStatusModule, number> = { LTKS: 50, LTKT: 20, LTKH: 30 };

export function moduleOf(maTTHC: string): CivilStatusModule {
  const national = CIVIL_STATUS_PROCEDURES[maTTHC];
  return (national && MODULE_BY_NATIONAL[national]) || MODULE_BY_UNMAPPED[maTTHC] || 'LTKS';
}
const DAY = 86_400_000;

function birthElements(random: Random, at: number, mobile: boolean): { elements: XmlElement[]; files: string[] } {
  const father = makePerson(random, { sex: 'M', birthYears: [1978, 2003] });
  const mother = makePerson(random, { sex: 'F', birthYears: [1982, 2005] });
  const hasFather = random.chance(0.95);
  const sex = random.chance(0.51) ? 'M' : 'F';
  const child = makeFullName(random, sex, hasFather ? father.familyName : mother.familyName);
  const place = mobile
    ? 'Tại nhà'
    : random.pick(['Bệnh viện Đa khoa tỉnh Thanh Hóa', 'Bệnh viện Phụ sản Thanh Hóa', 'Trung tâm Y tế huyện Hoằng Hóa', 'Bệnh viện Đa khoa khu vực Ngọc Lặc', 'Trạm Y tế xã']);
  let requester: Person = hasFather && random.chance(0.75) ? father : mother;
  let relation = requester === father ? 'Cha' : 'Mẹ';
  if (random.chance(0.05)) {
    requester = makePerson(random, { sex: 'M', birthYears: [1950, 1968], familyName: father.familyName });
    relation = 'Ông nội';
  }
  const elements: XmlElement[] = [
    ['nksHoTen', child.fullName],
    ['nksNgaySinh', formatDateCompact(at - random.int(0, 45) * DAY)],
    ['nksGioiTinh', sex === 'M' ? '1' : '2'],
    ['nksNoiSinh', place],
    ['nksDanToc', random.weighted([['Kinh', 90], ['Mường', 7], ['Thái', 3]])],
    ['nksQuocTich', 'VN'],
    ['meHoTen', mother.fullName],
    ['meSoDinhDanh', mother.cccd],
  ];
  if (hasFather) elements.push(['chaHoTen', father.fullName], ['chaSoDinhDanh', father.cccd]);
  elements.push(['nycHoTen', requester.fullName], ['nycSoDinhDanh', requester.cccd], ['nycQuanHe', relation], ['nycSoDienThoai', requester.phone]);
  return { elements, files: random.chance(0.8) ? ['to-khai-khai-sinh.pdf', 'giay-chung-sinh.pdf'] : ['to-khai-khai-sinh.pdf'] };
}

function deathElements(random: Random, at: number): { elements: XmlElement[]; files: string[] } {
  const deceased = makePerson(random, { birthYears: [1928, 1990], cmndShare: 0.6 });
  const spouse = random.chance(0.25);
  const requester = spouse
    ? makePerson(random, { sex: deceased.sex === 'M' ? 'F' : 'M', birthYears: [deceased.birthDate.year - 3, Math.min(deceased.birthDate.year + 5, 2000)] })
    : makePerson(random, {
        birthYears: [Math.min(deceased.birthDate.year + 20, 2004), Math.min(deceased.birthDate.year + 38, 2005)],
        ...(deceased.sex === 'M' ? { familyName: deceased.familyName } : {}),
      });
  const elements: XmlElement[] = [
    ['nktHoTen', deceased.fullName],
    ['nktSoDinhDanh', deceased.cmnd ?? deceased.cccd],
    ['nktGioiTinh', deceased.sex === 'M' ? '1' : '2'],
    ['nktNgaySinh', formatBirthDate(deceased.birthDate)],
    ['nktNgayChet', formatDateCompact(at - random.int(0, 20) * DAY)],
    ['nktNoiChet', random.pick(['Tại nhà', 'Tại nhà', 'Bệnh viện Đa khoa tỉnh Thanh Hóa', 'Trung tâm Y tế huyện Thọ Xuân'])],
    ['nycHoTen', requester.fullName],
    ['nycSoDinhDanh', requester.cccd],
    ['nycQuanHe', spouse ? (requester.sex === 'M' ? 'Chồng' : 'Vợ') : 'Con'],
  ];
  if (random.chance(0.8)) elements.push(['nycSoDienThoai', requester.phone]);
  return { elements, files: ['to-khai.pdf'] };
}

function marriageElements(random: Random): { elements: XmlElement[]; files: string[] } {
  const husband = makePerson(random, { sex: 'M', birthYears: [1982, 2004] });
  const wife = makePerson(random, { sex: 'F', birthYears: [1985, 2006] });
  const byHusband = random.chance(0.6);
  const requester = byHusband ? husband : wife;
  const elements: XmlElement[] = [
    ['chongHoTen', husband.fullName],
    ['chongSoDinhDanh', husband.cccd],
    ['chongNgaySinh', formatBirthDate(husband.birthDate)],
    ['voHoTen', wife.fullName],
    ['voSoDinhDanh', wife.cccd],
    ['voNgaySinh', formatBirthDate(wife.birthDate)],
    ['nycHoTen', requester.fullName],
    ['nycSoDinhDanh', requester.cccd],
    ['nycQuanHe', byHusband ? 'Chồng' : 'Vợ'],
  ];
  if (random.chance(0.5)) elements.push(['nycSoDienThoai', requester.phone]);
  return { elements, files: random.chance(0.7) ? ['to-khai-dang-ky-ket-hon.pdf'] : [] };
}

function maritalStatusElements(random: Random): { elements: XmlElement[]; files: string[] } {
  const person = makePerson(random, { birthYears: [1975, 2005] });
  return {
    elements: [
      ['nycHoTen', person.fullName],
      ['nycSoDinhDanh', person.cccd],
      ['nycNgaySinh', formatBirthDate(person.birthDate)],
      ['nycQuanHe', 'Bản thân'],
      ['nycSoDienThoai', person.phone],
      ['xnhnTinhTrangHonNhan', 'Chưa đăng ký kết hôn với ai'],
      ['xnhnMucDichSuDung', random.pick(['Để đăng ký kết hôn', 'Để bổ sung hồ sơ vay vốn ngân hàng', 'Để hoàn thiện hồ sơ xuất khẩu lao động'])],
    ],
    files: ['to-khai-xac-nhan-tinh-trang-hon-nhan.pdf'],
  };
}

const RESULT: Record<string, { name: string; content: string }> = {
  'KS-01': { name: 'Giấy khai sinh', content: 'Đã đăng ký khai sinh' },
  'KS-LD': { name: 'Giấy khai sinh', content: 'Đã đăng ký khai sinh lưu động' },
  'KT-01': { name: 'Trích lục khai tử', content: 'Đã đăng ký khai tử' },
  'KH-01': { name: 'Giấy chứng nhận kết hôn', content: 'Đã đăng ký kết hôn' },
  'XNHN-01': { name: 'Giấy xác nhận tình trạng hôn nhân', content: 'Đã cấp giấy xác nhận tình trạng hôn nhân' },
};

const SUPPLEMENT: Record<CivilStatusModule, [string, string][]> = {
  LTKS: [['giấy chứng sinh', 'giay-chung-sinh.pdf'], ['văn bản cam đoan về việc sinh', 'van-ban-cam-doan.pdf']],
  LTKT: [['giấy báo tử', 'giay-bao-tu.pdf'], ['văn bản xác nhận việc chết', 'xac-nhan-viec-chet.pdf']],
  LTKH: [['giấy xác nhận tình trạng hôn nhân', 'xac-nhan-tinh-trang-hon-nhan.pdf'], ['bản sao giấy tờ tùy thân', 'ban-sao-cccd.pdf']],
};

const REJECT_REASONS = ['Hồ sơ không đủ điều kiện đăng ký', 'Người yêu cầu không có thẩm quyền nộp hồ sơ', 'Sự kiện hộ tịch đã được đăng ký tại nơi khác'];

function buildSteps(random: Random, changes: number, kenhNop: number, finish: boolean, pendingShare: number): { pending: boolean; steps: Step[] } {
  let remaining = changes;
  const pending = kenhNop === 2 && random.chance(pendingShare);
  const steps: Step[] = [];
  if (remaining === 0) return { pending, steps };
  if (pending) {
    if (finish && remaining === 1) return { pending, steps: ['reject'] }; // refused without ever being received
    steps.push('receive');
    remaining--;
  }
  let middle = finish ? remaining - 1 : remaining;
  while (middle >= 2 && random.chance(0.6)) {
    steps.push('supplement', 'resupply');
    middle -= 2;
  }
  if (!finish && middle === 1 && random.chance(0.3)) {
    steps.push('supplement');
    middle = 0;
  }
  for (; middle > 0; middle--) steps.push('progress');
  if (finish) steps.push(random.chance(0.1) ? 'reject' : 'result');
  return { pending, steps };
}

export function planDossier(random: Random, at: number, options: PlanOptions): DossierPlan {
  const shares = options.quirks ?? {};
  const unmapped = random.chance(options.unmappedShare);
  const maTTHC = unmapped
    ? random.pick(CIVIL_STATUS_UNMAPPED_CODES)
    : random.weighted(Object.keys(CIVIL_STATUS_PROCEDURES).map((code) => [code, MODULE_WEIGHT[moduleOf(code)]] as const));
  const module = moduleOf(maTTHC);
  const commune = random.pick(THANH_HOA_COMMUNES);
  const kenhNop = random.weighted<1 | 2 | 3>([[1, 50], [2, 42], [3, 8]]);
  const content =
    maTTHC === 'XNHN-01' ? maritalStatusElements(random)
    : module === 'LTKS' ? birthElements(random, at, maTTHC === 'KS-LD')
    : module === 'LTKT' ? deathElements(random, at)
    : marriageElements(random);
  const quirks = {
    ncr: random.chance(shares.ncr ?? 0.15),
    nfd: random.chance(shares.nfd ?? 0.1),
    unknownElements: random.chance(shares.unknownElements ?? 0.1),
    specialChars: random.chance(shares.specialChars ?? 0.1),
  };
  const elements = [...content.elements];
  if (quirks.specialChars) elements.push(['ghiChu', random.pick(['Nộp kèm bản sao <giấy chứng sinh> & CCCD', 'Thôn Đông & Tây, "xóm 3"', 'Hồ sơ A&B > 1 bản'])]);
  if (quirks.unknownElements) elements.push(random.pick<XmlElement>([['ghiChuKhac', null], ['soQuyen', `0${random.int(1, 9)}/${vnParts(at).year}`], ['truongMoi', 'giá trị & ghi chú']]));
  const data = writeHoTichXml(elements, { ncr: quirks.ncr, nfdNames: quirks.nfd }, random);
  const changes = random.int(Math.min(...options.changes), Math.max(...options.changes));
  const { pending, steps } = buildSteps(random, changes, kenhNop, options.finish, options.pendingShare ?? 0.5);
  const [supplementNeed, supplementFile] = random.pick(SUPPLEMENT[module]);
  const linked = (module === 'LTKS' || module === 'LTKT') && random.chance(0.15);
  const p = vnParts(at);
  return {
    module,
    maTTHC,
    commune,
    kenhNop,
    maHoSoLT: linked ? `LT-${String(p.year % 100).padStart(2, '0')}${String(p.month).padStart(2, '0')}-${random.digits(5)}` : null,
    pending,
    data,
    files: content.files,
    steps,
    sameDay: module === 'LTKS',
    resultName: RESULT[maTTHC]?.name ?? 'Kết quả giải quyết',
    resultContent: RESULT[maTTHC]?.content ?? 'Đã giải quyết',
    supplementNeed,
    supplementFile,
    rejectReason: random.pick(REJECT_REASONS),
    quirks,
  };
}
