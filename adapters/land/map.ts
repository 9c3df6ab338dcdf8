import {
  canMove,
  channelFromCode,
  landEventStatus,
  personalIdType,
  type CanonicalStatus,
  type LandEvent,
  type Pause,
  type ProcessingEvent,
  type SourceDossier,
} from '../../contracts';
import { MappingError } from '../../src/lib/errors';
import { deepNfc, optionalText } from '../../src/lib/text';
import { parseJson, parseWire } from '../../src/lib/parse';
import { TimeFormatError, parseUtcNaive } from '../../src/lib/time';
import type { MappedRecord } from '../types';
import { LAND_EVENT_SCHEMAS, landEventName, type tiepNhanHoSo } from './wire';
import type { z } from 'zod';

/**
 * land: each callback is one event of a dossier; the dossier is the fold of its events in the
 * order the land system says they happened. Times arrive in UTC without an offset.
 */
export interface LandFragment {
  event: LandEvent;
  /** When it happened, Vietnam time. */
  at: string;
  /** The body as received, parsed, NFC. */
  body: Record<string, unknown>;
}

const TIME_FIELD: Record<LandEvent, string> = {
  TiepNhanHoSo: 'NgayTiepNhan',
  ChuyenHoSo: 'NgayChuyen',
  YeuCauBoSungHoSo: 'NgayChoBoSung',
  NhanBoSungHoSo: 'NgayNhanBoSung',
  GuiKetQuaThue: 'NgayCoKetQuaThue',
  KetThucHoSo: 'NgayKetThuc',
};

/**
 * Times the fold reads besides the event's own: checked here, because a time the fold cannot read
 * would fail every rebuild of the dossier instead of refusing this one record.
 */
const OTHER_TIME_FIELDS: Record<LandEvent, readonly string[]> = {
  TiepNhanHoSo: ['NgayHenTra'],
  ChuyenHoSo: ['HanXuLy'],
  YeuCauBoSungHoSo: [],
  NhanBoSungHoSo: ['NgayHenTraMoi'],
  GuiKetQuaThue: [],
  KetThucHoSo: [],
};

function utcTime(body: Record<string, unknown>, field: string): string {
  try {
    return parseUtcNaive(String(body[field]));
  } catch (err) {
    if (err instanceof TimeFormatError) throw new MappingError('BAD_TIME', `${field}: ${err.message}`, field);
    throw err;
  }
}

export interface LandOffice {
  code: string;
  name: string;
}

/** Reads one callback (pure); throws MappingError with a reason a person understands. */
export function toLandFragment(event: string, body: string): MappedRecord<LandFragment> {
  const name = landEventName.safeParse(event);
  if (!name.success) {
    throw new MappingError('UNKNOWN_EVENT', `unknown event "${event.slice(0, 60)}": expected one of ${landEventName.options.join(', ')}`, 'event');
  }
  const json = parseJson(body, 'the body');
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new MappingError('BAD_JSON', 'the body must be a JSON object');
  if (!('SoBienNhan' in json) || typeof (json as { SoBienNhan: unknown }).SoBienNhan !== 'string' || !(json as { SoBienNhan: string }).SoBienNhan.trim()) {
    throw new MappingError('MISSING_FIELD', 'SoBienNhan (the receipt number) is missing', 'SoBienNhan');
  }
  const parsed = deepNfc(parseWire(LAND_EVENT_SCHEMAS[name.data], json)) as Record<string, unknown>;
  const at = utcTime(parsed, TIME_FIELD[name.data]);
  for (const field of OTHER_TIME_FIELDS[name.data]) if (typeof parsed[field] === 'string') utcTime(parsed, field);
  const externalId = String(parsed['SoBienNhan']).trim();
  return { externalId, sourceTime: at, fragment: { event: name.data, at, body: parsed } };
}

type Reception = z.infer<typeof tiepNhanHoSo>;
const str = (v: unknown) => (typeof v === 'string' ? optionalText(v) : undefined);
const time = (v: unknown) => (typeof v === 'string' && v ? parseUtcNaive(v) : undefined);

function parcelsOf(r: Reception) {
  return (r.ThongTinThuaDat ?? []).map((p) => ({
    parcelNumber: p.SoThuTuThua,
    mapSheet: p.SoHieuBanDo,
    ...(p.DienTich !== null && p.DienTich !== undefined ? { areaM2: p.DienTich } : {}),
    ...(str(p.DiaChiChiTiet) ? { address: str(p.DiaChiChiTiet) } : {}),
  }));
}

/** Folds a dossier's events (oldest first) into the dossier; null until `TiepNhanHoSo` has arrived. */
export function foldLand(fragments: readonly LandFragment[], office: LandOffice): SourceDossier | null {
  const receptions = fragments.filter((f) => f.event === 'TiepNhanHoSo');
  // A corrected reception resent later replaces the earlier one's fields.
  const reception = receptions.at(-1);
  if (!reception) return null;
  const r = reception.body as unknown as Reception;
  const person = r.ThongTinNguoiNopDon;
  const id = str(person.SoChungMinh);
  const applicant = {
    kind: 'CITIZEN' as const,
    name: person.HoTen.trim(),
    ids: id ? [{ type: personalIdType(id), value: id }] : [],
    ...(str(person.SoDienThoai) ? { phone: str(person.SoDienThoai) } : {}),
    ...(str(person.Email) ? { email: str(person.Email) } : {}),
    ...(str(person.DiaChiChiTiet) ? { address: str(person.DiaChiChiTiet) } : {}),
  };
  const channel = channelFromCode(r.KenhTiepNhan);
  if (!channel) throw new MappingError('BAD_FIELD', `KenhTiepNhan ${r.KenhTiepNhan} is not 1, 2 or 3`, 'KenhTiepNhan');
  const parcels = parcelsOf(r);
  const procedureName = r.ThongTinQuyTrinh.TenQuyTrinh.trim();
  const summary = parcels.length
    ? `${procedureName} - thửa ${parcels.map((p) => `${p.parcelNumber} tờ ${p.mapSheet}`).join(', ')}`
    : procedureName;

  let status: CanonicalStatus = 'ACCEPTED';
  let rawStatus = 'TiepNhanHoSo';
  let dueAt = time(r.NgayHenTra);
  let completedAt: string | undefined;
  const events: ProcessingEvent[] = [];
  const pauses: Pause[] = [];
  const results: SourceDossier['results'] = [];
  const taxNotices: { ownerName: string; taxType: string; noticeNumber: string; url?: string }[] = [];
  let openPayment: Pause | undefined;

  for (const f of fragments) {
    const b = f.body;
    let next: CanonicalStatus;
    let actor = '';
    let content: string;
    let stepDueAt: string | undefined;
    switch (f.event) {
      case 'TiepNhanHoSo':
        if (f !== reception) continue;
        next = 'ACCEPTED';
        actor = str(b['NguoiTiepNhan']) ?? '';
        content = 'Tiếp nhận hồ sơ';
        break;
      case 'ChuyenHoSo':
        next = 'IN_PROGRESS';
        actor = str(b['MaCanBoNhan']) ?? str(b['MaCanBoChuyen']) ?? '';
        content = str(b['NoiDungXuLy']) ?? 'Chuyển xử lý hồ sơ';
        stepDueAt = time(b['HanXuLy']);
        break;
      case 'YeuCauBoSungHoSo':
        next = 'AWAITING_SUPPLEMENT';
        actor = str(b['MaCanBoXuLy']) ?? '';
        content = str(b['GhiChu']) ?? 'Yêu cầu bổ sung hồ sơ';
        if (b['LaTamDung'] !== false && !pauses.some((p) => p.kind === 'SUPPLEMENT' && !p.resumedAt)) {
          pauses.push({ kind: 'SUPPLEMENT', requestedAt: f.at, ...(str(b['GhiChu']) ? { note: str(b['GhiChu']) } : {}), ...(dueAt ? { dueBefore: dueAt } : {}) });
        }
        break;
      case 'NhanBoSungHoSo': {
        next = 'IN_PROGRESS';
        content = 'Nhận bổ sung hồ sơ';
        const newDue = time(b['NgayHenTraMoi']);
        const open = pauses.find((p) => p.kind === 'SUPPLEMENT' && !p.resumedAt);
        if (open) {
          open.resumedAt = f.at;
          if (newDue) open.dueAfter = newDue;
        }
        if (newDue) dueAt = newDue;
        break;
      }
      case 'GuiKetQuaThue': {
        next = 'AWAITING_PAYMENT';
        const notices = (b['DanhSachThongBaoThue'] as Record<string, unknown>[] | null | undefined) ?? [];
        for (const n of notices) {
          taxNotices.push({
            ownerName: str(n['HoTenChu']) ?? '',
            taxType: str(n['LoaiThue']) ?? '',
            noticeNumber: str(n['SoThongBaoThue']) ?? '',
            ...(str(n['DuongDanThongBaoThue']) ? { url: str(n['DuongDanThongBaoThue']) } : {}),
          });
        }
        content = `Thông báo nghĩa vụ tài chính${notices.length ? `: ${notices.map((n) => str(n['LoaiThue']) ?? '').filter(Boolean).join(', ')}` : ''}`;
        if (!openPayment) {
          openPayment = { kind: 'FINANCIAL_OBLIGATION', requestedAt: f.at };
          pauses.push(openPayment);
        }
        break;
      }
      case 'KetThucHoSo': {
        const withdrawn = Number(b['TrangThaiKetThuc']) === 1;
        next = landEventStatus('KetThucHoSo', withdrawn ? 1 : 0);
        actor = str(b['MaCanBoXuLy']) ?? '';
        content = withdrawn ? 'Trả hồ sơ / rút hồ sơ' : 'Hoàn thành xử lý, có kết quả';
        for (const doc of (b['DanhSachGiayToKetQua'] as Record<string, unknown>[] | null | undefined) ?? []) {
          const url = str(doc['LinkFile']);
          if (url) results.push({ name: str(doc['TenGiayTo']) ?? 'Kết quả', url });
        }
        completedAt ??= f.at;
        break;
      }
    }
    if (openPayment && f.event !== 'GuiKetQuaThue') {
      openPayment.resumedAt = f.at;
      openPayment = undefined;
    }
    events.push({ seq: events.length, at: f.at, actor, content, status: next, rawStatus: f.event, ...(stepDueAt ? { stepDueAt } : {}) });
    if (canMove(status, next)) {
      status = next;
      rawStatus = f.event === 'KetThucHoSo' ? `KetThucHoSo:${String(b['TrangThaiKetThuc'])}` : f.event;
    }
  }

  const documents = (r.DanhSachGiayToDinhKem ?? []).map((d) => {
    const url = str(d.TapTin?.url);
    return { name: d.TenGiayTo.trim() || 'Giấy tờ', ...(url ? { url } : {}), digitized: Boolean(url) };
  });
  const { ThongTinNguoiNopDon: _p, ...rest } = reception.body;
  return {
    source: { system: 'land', externalId: r.SoBienNhan.trim() },
    sourceCode: r.SoBienNhan.trim(),
    procedure: { localCode: r.ThongTinQuyTrinh.MaQuyTrinh.trim() },
    receivingAgency: { code: office.code, name: office.name },
    applicant,
    owner: applicant,
    summary,
    channel,
    resultDelivery: channel === 'POSTAL' ? 'POSTAL' : 'COUNTER',
    receivedAt: reception.at,
    ...(dueAt ? { dueAt } : {}),
    ...(completedAt ? { completedAt } : {}),
    status,
    rawStatus: { system: 'land', value: rawStatus },
    events,
    pauses,
    documents,
    results,
    fees: [],
    sector: {
      kind: 'land',
      parcels,
      ...(str(r.DiaChiTaiSan) ? { assetAddress: str(r.DiaChiTaiSan) } : {}),
      adminUnit: {
        ...(r.TinhId != null ? { province: String(r.TinhId) } : {}),
        ...(r.HuyenId != null ? { district: String(r.HuyenId) } : {}),
        ...(r.XaId != null ? { commune: String(r.XaId) } : {}),
      },
      taxNotices,
      raw: rest,
    },
  };
}
