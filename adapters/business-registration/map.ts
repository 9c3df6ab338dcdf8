import {
  agencyCode as agencyCodeSchema,
  BUSINESS_CHANNEL,
  BUSINESS_STATUS,
  personalIdType,
  type CanonicalStatus,
  type Party,
  type Pause,
  type ProcessingEvent,
  type SourceDossier,
} from '../../contracts';
import { MappingError } from '../../src/lib/errors';
import { deepNfc, optionalText } from '../../src/lib/text';
import { parseWire } from '../../src/lib/parse';
import { normalizeInstant } from '../../src/lib/time';
import { xmlText } from '../../src/lib/xml';
import { soapParser } from './soap';
import { dossier as dossierSchema, type BusinessDossierWire } from './wire';

/** Maps one `<HoSo>` (its XML text as received) to the gateway's dossier. Pure. */

function status(value: string, field: string): CanonicalStatus {
  const s = BUSINESS_STATUS[value];
  if (!s) throw new MappingError('UNKNOWN_STATUS', `${field} ${value.slice(0, 40)} is not a business-registration status`, field);
  return s;
}

function instant(value: string | undefined, field: string): string | undefined {
  const v = optionalText(value);
  if (!v) return undefined;
  try {
    return normalizeInstant(v);
  } catch {
    throw new MappingError('BAD_TIME', `${field} "${v.slice(0, 40)}" is not ISO-8601 with an offset`, field);
  }
}

function owner(h: BusinessDossierWire): Party {
  if (h.LoaiHoSo.startsWith('DN_')) {
    const e = h.DoanhNghiep;
    if (!e) throw new MappingError('MISSING_FIELD', `an enterprise dossier (${h.LoaiHoSo}) carries no <DoanhNghiep>`, 'DoanhNghiep');
    const code = optionalText(e.MaSoDoanhNghiep);
    return { kind: 'ENTERPRISE', name: e.TenTiengViet.trim(), ids: code ? [{ type: 'MSDN', value: code }] : [] };
  }
  if (h.LoaiHoSo.startsWith('HKD_')) {
    const b = h.HoKinhDoanh;
    if (!b) throw new MappingError('MISSING_FIELD', `a household-business dossier (${h.LoaiHoSo}) carries no <HoKinhDoanh>`, 'HoKinhDoanh');
    const code = optionalText(b.MaSoHKD);
    return { kind: 'HOUSEHOLD_BUSINESS', name: b.TenHoKinhDoanh.trim(), ids: code ? [{ type: 'MSHKD', value: code }] : [] };
  }
  throw new MappingError('BAD_FIELD', `LoaiHoSo ${h.LoaiHoSo.slice(0, 40)} is neither an enterprise (DN_) nor a household business (HKD_) dossier`, 'LoaiHoSo');
}

function pausesOf(events: ProcessingEvent[]): Pause[] {
  const pauses: Pause[] = [];
  let open: Pause | undefined;
  for (const e of events) {
    if (e.status === 'AWAITING_SUPPLEMENT') {
      if (!open) pauses.push((open = { kind: 'SUPPLEMENT', requestedAt: e.at, ...(e.content ? { note: e.content } : {}) }));
    } else if (open) {
      open.resumedAt = e.at;
      open = undefined;
    }
  }
  return pauses;
}

export function parseDossierXml(xml: string): BusinessDossierWire {
  const doc = soapParser.parse(xml);
  const node = (doc['HoSo'] as unknown[] | undefined)?.[0];
  if (node === undefined) throw new MappingError('BAD_XML', 'the record holds no <HoSo> element');
  return deepNfc(parseWire(dossierSchema, node));
}

export function toBusinessDossier(xml: string): SourceDossier {
  const h = parseDossierXml(xml);
  const agency = h.CoQuanTiepNhan;
  const agencyCode = typeof agency === 'string' ? undefined : agency['@MaDinhDanh'];
  if (!agencyCode) throw new MappingError('MISSING_FIELD', 'CoQuanTiepNhan has no MaDinhDanh attribute (the agency code)', 'CoQuanTiepNhan');
  if (!agencyCodeSchema.safeParse(agencyCode).success) {
    throw new MappingError('BAD_FIELD', `CoQuanTiepNhan MaDinhDanh "${agencyCode.slice(0, 40)}" is not an agency code like 000.00.16.H56`, 'CoQuanTiepNhan');
  }
  const agencyName = (xmlText(agency) ?? '').trim();
  const channel = BUSINESS_CHANNEL[h.KenhNop];
  if (!channel) throw new MappingError('BAD_FIELD', `KenhNop ${h.KenhNop.slice(0, 40)} is not TRUC_TIEP, TRUC_TUYEN or BUU_CHINH`, 'KenhNop');
  const applicantId = optionalText(h.NguoiNop.SoDinhDanh);
  const applicant: Party = {
    kind: 'CITIZEN',
    name: h.NguoiNop.HoTen.trim(),
    ids: applicantId ? [{ type: personalIdType(applicantId), value: applicantId }] : [],
    ...(optionalText(h.NguoiNop.DienThoai) ? { phone: optionalText(h.NguoiNop.DienThoai) } : {}),
    ...(optionalText(h.NguoiNop.Email) ? { email: optionalText(h.NguoiNop.Email) } : {}),
  };
  const own = owner(h);
  const steps = h.LichSuXuLy === '' || !h.LichSuXuLy ? [] : h.LichSuXuLy.Buoc;
  const events: ProcessingEvent[] = steps.map((b, seq) => ({
    seq,
    at: instant(b.ThoiDiem, `LichSuXuLy.Buoc[${seq}].ThoiDiem`)!,
    actor: optionalText(b.CanBo) ?? '',
    ...(agencyName ? { department: agencyName } : {}),
    content: optionalText(b.NoiDung) ?? '',
    status: status(b.TrangThai, `LichSuXuLy.Buoc[${seq}].TrangThai`),
    rawStatus: b.TrangThai,
  }));
  const submittedAt = instant(h.NgayNop, 'NgayNop');
  const receivedAt = instant(h.NgayTiepNhan, 'NgayTiepNhan');
  const dueAt = instant(h.NgayHenTra, 'NgayHenTra');
  const { DoanhNghiep: e, HoKinhDoanh: b } = h;
  return {
    source: { system: 'business-registration', externalId: h.MaHoSo },
    sourceCode: h.MaHoSo,
    procedure: { localCode: h.MaTTHC },
    receivingAgency: { code: agencyCode, name: agencyName },
    applicant,
    owner: own,
    // Replaced by "<national procedure name> - <owner name>" once the procedure is mapped.
    summary: `${h.LoaiHoSo} - ${own.name}`,
    channel,
    resultDelivery: channel === 'POSTAL' ? 'POSTAL' : 'COUNTER',
    ...(submittedAt ? { submittedAt } : {}),
    ...(receivedAt ? { receivedAt } : {}),
    ...(dueAt ? { dueAt } : {}),
    status: status(h.TrangThai, 'TrangThai'),
    rawStatus: { system: 'business-registration', value: h.TrangThai },
    events,
    pauses: pausesOf(events),
    documents: h.TaiLieu.map((d) => ({
      name: d.Ten.trim() || 'Tài liệu',
      ...(optionalText(d.DuongDan) ? { url: optionalText(d.DuongDan) } : {}),
      digitized: Boolean(optionalText(d.DuongDan)),
    })),
    results: h.KetQua.flatMap((r) => (optionalText(r.DuongDan) ? [{ name: r.Ten.trim() || 'Kết quả', url: optionalText(r.DuongDan)! }] : [])),
    fees: h.LePhi.map((f) => ({ name: f.Ten.trim() || 'Lệ phí', amountVnd: Number(f.SoTien), paidOnline: f.ThanhToanTrucTuyen === 'true' })),
    sector: {
      kind: 'business-registration',
      dossierType: h.LoaiHoSo,
      ...(e
        ? { enterprise: { name: e.TenTiengViet, ...(optionalText(e.MaSoDoanhNghiep) ? { code: e.MaSoDoanhNghiep } : {}), ...(optionalText(e.LoaiHinh) ? { legalForm: e.LoaiHinh } : {}) } }
        : {}),
      ...(b
        ? {
            household: {
              name: b.TenHoKinhDoanh,
              ...(optionalText(b.MaSoHKD) ? { code: b.MaSoHKD } : {}),
              ...(optionalText(b.NganhNghe) ? { trade: b.NganhNghe } : {}),
              ...(b.VonKinhDoanh && /^\d{1,15}$/.test(b.VonKinhDoanh) ? { capitalVnd: Number(b.VonKinhDoanh) } : {}),
            },
          }
        : {}),
      raw: h as unknown as Record<string, unknown>,
    },
  };
}
