import { z } from 'zod';

/** Code formats of codes.md. Identifiers are strings everywhere: a CCCD often starts with 0. */
export const PATTERNS = {
  nationalProcedureCode: /^\d\.\d{6}$/,
  sectorCode: /^G\d{2}-[A-Z]{2}\d{2}$/,
  agencyCode: /^[0-9A-Z]+(\.[0-9A-Z]+)*$/,
  oneStopCode: /^[A-Z0-9.]+-\d{6}-\d{4}$/,
  cccd: /^\d{12}$/,
  cmnd: /^\d{9}$/,
  enterpriseCode: /^\d{10}(-\d{3})?$/,
  taxCode: /^\d{10}(\d{3})?$/,
  householdBusinessCode: /^[0-9A-Z]+$/,
  provinceCode: /^H\d{2}$/,
} as const;

export const nationalProcedureCode = z
  .string()
  .regex(PATTERNS.nationalProcedureCode, 'must look like 1.001193 (d.dddddd)');
export const sectorCode = z.string().regex(PATTERNS.sectorCode, 'must look like G15-TP07');
export const agencyCode = z
  .string()
  .max(35, 'is at most 35 characters')
  .regex(PATTERNS.agencyCode, 'must be dot-separated groups of 0-9A-Z, like 000.00.16.H56');
export const oneStopCode = z.string().regex(PATTERNS.oneStopCode, 'must look like 000.00.20.H56-260302-0007');
export const provinceCode = z.string().regex(PATTERNS.provinceCode, 'must look like H56');

/** Whether a one-stop code's agency part carries the province: ends with `.H56` or begins with `H56.`. */
export function oneStopCodeBelongsTo(code: string, province: string): boolean {
  const agency = code.split('-')[0] ?? '';
  return agency === province || agency.endsWith(`.${province}`) || agency.startsWith(`${province}.`);
}

export const CHANNELS = ['DIRECT', 'ONLINE', 'POSTAL'] as const;
export const channel = z.enum(CHANNELS);
export type Channel = z.infer<typeof channel>;
/** 1/2/3 in every system that numbers channels (DVCQG, province, land, civil-status). */
export const channelCode = (c: Channel): number => CHANNELS.indexOf(c) + 1;
export const channelFromCode = (n: number): Channel | undefined => CHANNELS[n - 1];
export const BUSINESS_CHANNEL: Readonly<Record<string, Channel>> = {
  TRUC_TIEP: 'DIRECT',
  TRUC_TUYEN: 'ONLINE',
  BUU_CHINH: 'POSTAL',
};

export const RESULT_DELIVERIES = ['COUNTER', 'POSTAL'] as const;
export const resultDelivery = z.enum(RESULT_DELIVERIES);
export type ResultDelivery = z.infer<typeof resultDelivery>;

export const PARTY_KINDS = ['CITIZEN', 'ENTERPRISE', 'HOUSEHOLD_BUSINESS', 'STATE_AGENCY', 'ORGANIZATION'] as const;
export const partyKind = z.enum(PARTY_KINDS);
export type PartyKind = z.infer<typeof partyKind>;

/** DVCQG `LoaiDoiTuong`: household businesses are 2, like enterprises. */
export const DVCQG_PARTY_KIND: Readonly<Record<PartyKind, string>> = {
  CITIZEN: '1',
  ENTERPRISE: '2',
  HOUSEHOLD_BUSINESS: '2',
  STATE_AGENCY: '3',
  ORGANIZATION: '4',
};

/** The province's own `LoaiDoiTuong` list; it has no code for state agencies or organizations. */
export const PROVINCE_PARTY_KIND: Readonly<Partial<Record<PartyKind, number>>> = {
  CITIZEN: 0,
  ENTERPRISE: 1,
  HOUSEHOLD_BUSINESS: 2,
};

export const ID_TYPES = ['CCCD', 'CMND', 'MSDN', 'MSHKD', 'OTHER'] as const;
export const idType = z.enum(ID_TYPES);
export type IdType = z.infer<typeof idType>;

/** DVCQG `LoaiDinhDanh`; a household business has none. */
export const DVCQG_ID_TYPE: Readonly<Partial<Record<IdType, string>>> = { CCCD: '1', CMND: '2', MSDN: '3' };

/** A personal document number's type from its length: 12 digits CCCD, 9 digits CMND. */
export function personalIdType(value: string): IdType {
  if (PATTERNS.cccd.test(value)) return 'CCCD';
  if (PATTERNS.cmnd.test(value)) return 'CMND';
  return 'OTHER';
}

/** `038085001234` -> `038*******34`: what operator pages show of a personal ID. */
export function maskId(value: string): string {
  if (value.length <= 5) return '*'.repeat(value.length);
  return value.slice(0, 3) + '*'.repeat(value.length - 5) + value.slice(-2);
}
