import type { Random } from './random';

/**
 * Realistic Vietnamese people, places and identifiers for the simulators. Personal IDs follow
 * codes.md: 3-digit province of birth + century/sex digit + 2-digit birth year + 6 digits, so they
 * often begin with `0` and agree with the person's birth date and sex.
 */
export type Sex = 'M' | 'F';

export interface BirthDate {
  year: number;
  month: number;
  day: number;
}

export interface Person {
  fullName: string;
  familyName: string;
  middleName: string;
  givenName: string;
  sex: Sex;
  birthDate: BirthDate;
  /** 3-digit province-of-birth code of the CCCD (`038` Thanh Hóa). */
  provinceCode: string;
  /** 12-digit CCCD, always present in the generated world (the old CMND may be the one on file). */
  cccd: string;
  /** 9-digit old ID card, for a few older people. */
  cmnd?: string;
  phone: string;
}

export const FAMILY_NAMES: readonly (readonly [string, number])[] = [
  ['Nguyễn', 38], ['Trần', 11], ['Lê', 9.5], ['Phạm', 7], ['Hoàng', 4], ['Huỳnh', 1], ['Phan', 4.5],
  ['Vũ', 3], ['Võ', 1], ['Đặng', 2.1], ['Bùi', 2], ['Đỗ', 1.4], ['Hồ', 1.3], ['Ngô', 1.3], ['Dương', 1],
  ['Lý', 0.5], ['Lương', 0.8], ['Trịnh', 1.2], ['Mai', 0.8], ['Đinh', 0.8], ['Lâm', 0.4], ['Tạ', 0.3],
  ['Cao', 0.5], ['Hà', 0.6], ['Quách', 0.3],
];

const MIDDLE_NAMES: Record<Sex, readonly string[]> = {
  M: ['Văn', 'Văn', 'Văn', 'Đức', 'Minh', 'Quang', 'Hữu', 'Công', 'Xuân', 'Thành', 'Ngọc', 'Đình', 'Trọng', 'Tiến', 'Gia', 'Anh'],
  F: ['Thị', 'Thị', 'Thị', 'Thu', 'Ngọc', 'Thanh', 'Minh', 'Phương', 'Hồng', 'Khánh', 'Bảo', 'Diệu', 'Thùy', 'Hải'],
};

const GIVEN_NAMES: Record<Sex, readonly string[]> = {
  M: ['An', 'Bảo', 'Bình', 'Cường', 'Dũng', 'Duy', 'Đạt', 'Đức', 'Hải', 'Hiếu', 'Hoàng', 'Hùng', 'Huy', 'Khang', 'Khoa',
    'Kiên', 'Long', 'Lâm', 'Mạnh', 'Minh', 'Nam', 'Nghĩa', 'Phong', 'Phúc', 'Quân', 'Quang', 'Sơn', 'Tài', 'Thắng',
    'Thành', 'Thọ', 'Tiến', 'Toàn', 'Trung', 'Tuấn', 'Tùng', 'Việt', 'Vinh', 'Vũ', 'Hưng'],
  F: ['Anh', 'Ánh', 'Chi', 'Diệp', 'Dung', 'Giang', 'Hà', 'Hạnh', 'Hằng', 'Hoa', 'Hương', 'Huyền', 'Lan', 'Linh', 'Loan',
    'Mai', 'My', 'Nga', 'Ngân', 'Ngọc', 'Nhung', 'Oanh', 'Phương', 'Quỳnh', 'Tâm', 'Thảo', 'Thủy', 'Trang', 'Trâm',
    'Uyên', 'Vân', 'Yến', 'Lụa', 'Nguyệt'],
};

/** CCCD province-of-birth codes (Circular 59/2021/TT-BCA); Thanh Hóa dominates a Thanh Hóa commune. */
export const BIRTH_PROVINCES: readonly (readonly [string, number])[] = [
  ['038', 85], ['001', 3], ['079', 2], ['040', 3], ['037', 1.5], ['036', 1], ['035', 0.5], ['042', 1],
  ['031', 0.8], ['048', 0.4], ['030', 0.4], ['034', 0.6], ['014', 0.3], ['017', 0.5],
];

/** First two digits of the old 9-digit CMND by province of birth. */
const CMND_PREFIX: Record<string, string> = { '038': '17', '001': '01', '079': '02', '040': '18', '042': '18', '037': '16' };

const PHONE_PREFIXES = ['091', '094', '096', '097', '098', '086', '088', '032', '033', '034', '035', '036', '037', '038', '039', '081', '082', '083', '084', '085'];

export interface Commune {
  /** Agency code (mã định danh) of the commune's People's Committee. */
  agencyCode: string;
  /** `UBND xã Quảng Phú` */
  agencyName: string;
  /** `xã Quảng Phú` */
  placeName: string;
  kind: 'xã' | 'phường';
}

const COMMUNE_LIST: readonly [string, Commune['kind'], string][] = [
  ['000.00.16.H56', 'xã', 'Quảng Phú'],
  ['000.00.11.H56', 'phường', 'Hạc Thành'],
  ['000.00.12.H56', 'phường', 'Sầm Sơn'],
  ['000.00.13.H56', 'phường', 'Bỉm Sơn'],
  ['000.00.14.H56', 'xã', 'Hoằng Hóa'],
  ['000.00.15.H56', 'xã', 'Hậu Lộc'],
  ['000.00.17.H56', 'xã', 'Nga Sơn'],
  ['000.00.18.H56', 'xã', 'Thọ Xuân'],
  ['000.00.19.H56', 'xã', 'Triệu Sơn'],
  ['000.00.21.H56', 'xã', 'Yên Định'],
  ['000.00.22.H56', 'xã', 'Vĩnh Lộc'],
  ['000.00.23.H56', 'xã', 'Nông Cống'],
  ['000.00.24.H56', 'xã', 'Thiệu Hóa'],
  ['000.00.25.H56', 'phường', 'Nghi Sơn'],
];

export const THANH_HOA_COMMUNES: readonly Commune[] = COMMUNE_LIST.map(([agencyCode, kind, name]) => ({
  agencyCode,
  kind,
  placeName: `${kind} ${name}`,
  agencyName: `UBND ${kind} ${name}`,
}));

const STREETS = ['Lê Lợi', 'Trần Phú', 'Quang Trung', 'Bà Triệu', 'Lê Hoàn', 'Nguyễn Trãi', 'Hàm Nghi', 'Phan Chu Trinh', 'Hải Thượng Lãn Ông'];

export function makeAddress(random: Random, commune: Commune): string {
  const local =
    commune.kind === 'phường'
      ? `Số ${random.int(1, 250)} đường ${random.pick(STREETS)}`
      : random.chance(0.6)
        ? `Thôn ${random.int(1, 12)}`
        : `Thôn ${random.pick(['Đông', 'Tây', 'Nam', 'Bắc', 'Trung', 'Thượng', 'Hạ'])}`;
  return `${local}, ${commune.placeName}, tỉnh Thanh Hóa`;
}

export function makePhone(random: Random): string {
  return `${random.pick(PHONE_PREFIXES)}${random.digits(7)}`;
}

/** The CCCD century/sex digit: 0/1 for men/women born 1900-1999, 2/3 for 2000-2099, 4/5 for 2100-2199. */
export function centurySexDigit(year: number, sex: Sex): string {
  const century = Math.floor(year / 100) - 19;
  if (century < 0 || century > 2) throw new Error(`no CCCD century digit for ${year}`);
  return String(century * 2 + (sex === 'F' ? 1 : 0));
}

export function makeCccd(random: Random, provinceCode: string, birthYear: number, sex: Sex): string {
  return `${provinceCode}${centurySexDigit(birthYear, sex)}${String(birthYear % 100).padStart(2, '0')}${random.digits(6)}`;
}

export function makeCmnd(random: Random, provinceCode: string): string {
  return `${CMND_PREFIX[provinceCode] ?? '17'}${random.digits(7)}`;
}

/** Checks that a CCCD agrees with a birth year and sex (used by tests and the generator's own checks). */
export function cccdMatches(cccd: string, birthYear: number, sex: Sex): boolean {
  return /^\d{12}$/.test(cccd) && cccd[3] === centurySexDigit(birthYear, sex) && cccd.slice(4, 6) === String(birthYear % 100).padStart(2, '0');
}

export function formatBirthDate(date: BirthDate): string {
  return `${date.year}${String(date.month).padStart(2, '0')}${String(date.day).padStart(2, '0')}`;
}

export function makeBirthDate(random: Random, year: number): BirthDate {
  const month = random.int(1, 12);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day: random.int(1, days) };
}

export interface PersonOptions {
  sex?: Sex;
  birthYear?: number;
  /** Inclusive range of birth years when `birthYear` is not given. */
  birthYears?: [number, number];
  birthDate?: BirthDate;
  familyName?: string;
  provinceCode?: string;
  /** Probability that an older person (born before 1960) also carries a 9-digit CMND. */
  cmndShare?: number;
}

export function makeFullName(random: Random, sex: Sex, familyName?: string): { fullName: string; familyName: string; middleName: string; givenName: string } {
  const family = familyName ?? random.weighted(FAMILY_NAMES);
  let middle = random.pick(MIDDLE_NAMES[sex]);
  // Two middle names are common for women ("Nguyễn Thị Thu Trang") and not rare for men.
  if (random.chance(sex === 'F' ? 0.3 : 0.12)) {
    const second = random.pick(MIDDLE_NAMES[sex].filter((m) => m !== middle && m !== 'Thị' && m !== 'Văn'));
    middle = `${middle} ${second}`;
  }
  const given = random.pick(GIVEN_NAMES[sex]);
  return { fullName: `${family} ${middle} ${given}`, familyName: family, middleName: middle, givenName: given };
}

export function makePerson(random: Random, options: PersonOptions = {}): Person {
  const sex = options.sex ?? (random.chance(0.5) ? 'M' : 'F');
  const year = options.birthDate?.year ?? options.birthYear ?? random.int(...(options.birthYears ?? [1950, 2004]));
  const birthDate = options.birthDate ?? makeBirthDate(random, year);
  const provinceCode = options.provinceCode ?? random.weighted(BIRTH_PROVINCES);
  const name = makeFullName(random, sex, options.familyName);
  const person: Person = {
    ...name,
    sex,
    birthDate,
    provinceCode,
    cccd: makeCccd(random, provinceCode, birthDate.year, sex),
    phone: makePhone(random),
  };
  if (birthDate.year < 1960 && random.chance(options.cmndShare ?? 0.5)) person.cmnd = makeCmnd(random, provinceCode);
  return person;
}
