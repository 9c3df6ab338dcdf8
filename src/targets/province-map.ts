import {
  PROVINCE_PARTY_KIND,
  channelCode,
  isFinished,
  statusCode,
  type CanonicalDossier,
  type Party,
  type ProcessingEvent,
} from '../../contracts';
import { provinceDossierBody, provinceStatusUpdate, provinceStep, type ProvinceDossierBody, type ProvinceStatusUpdate, type ProvinceStep } from '../../contracts/targets/province';
import { GatewayError } from '../lib/errors';
import { toProvinceDate, toSecondIso } from '../lib/time';
import { stepKey } from './steps';

/** canonical -> the provincial dossier system's wire format (targets/province.md). Pure. */

const orNull = (s: string | undefined) => (s === undefined || s === '' ? null : s);

function party(p: Party) {
  return {
    HoTen: p.name,
    SoDinhDanh: orNull(p.ids[0]?.value),
    SoDienThoai: orNull(p.phone),
    Email: orNull(p.email),
    DiaChi: orNull(p.address),
  };
}

function invalid(field: string, message: string): GatewayError {
  return new GatewayError('invalid_content', 'PROVINCE_CONTENT', `province: ${field}: ${message}`, { detail: { field } });
}

/** Validates what we are about to send, so content the province would refuse never leaves as a request. */
function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw invalid(issue?.path.map(String).join('.') || '(body)', issue?.message ?? 'invalid');
}

export function toProvinceDossier(d: CanonicalDossier): ProvinceDossierBody {
  const kind = PROVINCE_PARTY_KIND[d.owner.kind];
  if (kind === undefined) throw invalid('LoaiDoiTuong', `the province has no code for owner kind ${d.owner.kind}`);
  const finished = isFinished(d.status);
  const { raw: _raw, ...sector } = d.sector;
  return checked(provinceDossierBody, {
    MaHoSoNguon: d.sourceCode,
    HeThongNguon: d.source.system,
    MaTTHC: d.procedure.nationalCode,
    TenTTHC: d.procedure.name,
    MaLinhVuc: d.procedure.sectorCode,
    MaDonViTiepNhan: d.receivingAgency.code,
    LoaiDoiTuong: kind,
    ChuHoSo: party(d.owner),
    NguoiNop: party(d.applicant),
    TrichYeu: d.summary,
    KenhThucHien: channelCode(d.channel),
    // The province's rule: results go back by post exactly when the dossier came by post.
    HinhThucTraKetQua: d.channel === 'POSTAL' ? 1 : 0,
    NgayNop: d.submittedAt ? toProvinceDate(d.submittedAt) : null,
    NgayTiepNhan: toProvinceDate(d.receivedAt),
    NgayHenTra: d.dueAt ? toProvinceDate(d.dueAt) : null,
    TrangThai: statusCode(d.status),
    ThanhPhanHoSo: d.documents.map((doc) => ({ TenGiayTo: doc.name, DuongDan: doc.url ?? null, DuocSoHoa: doc.digitized ? 1 : 0 })),
    LePhi: d.fees.map((f) => ({ TenPhiLePhi: f.name, SoTien: f.amountVnd, DaThanhToanTrucTuyen: f.paidOnline ?? false })),
    DuLieuChuyenNganh: sector,
    NgayKetThucXuLy: finished && d.completedAt ? toProvinceDate(d.completedAt) : null,
    NgayTra: d.deliveredAt ? toProvinceDate(d.deliveredAt) : null,
    KetQua: d.results.map((r) => ({ TenGiayTo: r.name, DuongDan: r.url })),
  });
}

/** The fields a `PUT /hoso/{id}` replaces, without the status, which has its own call. */
export function fieldsOf(body: ProvinceDossierBody): Omit<ProvinceDossierBody, 'TrangThai' | 'NgayKetThucXuLy' | 'NgayTra' | 'KetQua'> {
  const { TrangThai: _s, NgayKetThucXuLy: _k, NgayTra: _t, KetQua: _q, ...fields } = body;
  return fields;
}

export function toProvinceStep(d: CanonicalDossier, e: ProcessingEvent, previous: ProcessingEvent | undefined): ProvinceStep {
  return checked(provinceStep, {
    NguoiXuLy: e.actor.slice(0, 100),
    ChucDanh: orNull(e.actorTitle),
    PhongBanXuLy: orNull(e.department ?? d.receivingAgency.name),
    NoiDungXuLy: e.content,
    TrangThai: statusCode(e.status),
    ThoiDiemXuLy: toSecondIso(e.at),
    NgayBatDau: toSecondIso(previous?.at ?? d.receivedAt),
    NgayKetThucTheoQuyDinh: e.stepDueAt ? toSecondIso(e.stepDueAt) : d.dueAt ? toSecondIso(d.dueAt) : null,
  });
}

/** Steps of a dossier in source-time order, each with the key that identifies it at the target. */
export function provinceSteps(d: CanonicalDossier): { key: string; step: ProvinceStep }[] {
  return d.events.map((e, i) => ({ key: stepKey(e), step: toProvinceStep(d, e, d.events[i - 1]) }));
}

export function toProvinceStatus(d: CanonicalDossier): ProvinceStatusUpdate {
  const latest = [...d.events].reverse().find((e) => e.status === d.status);
  const finished = isFinished(d.status);
  return checked(provinceStatusUpdate, {
    TrangThai: statusCode(d.status),
    ThoiDiem: toSecondIso(latest?.at ?? d.completedAt ?? d.receivedAt),
    NgayKetThucXuLy: finished && d.completedAt ? toProvinceDate(d.completedAt) : null,
    NgayTra: d.deliveredAt ? toProvinceDate(d.deliveredAt) : null,
    KetQua: d.results.map((r) => ({ TenGiayTo: r.name, DuongDan: r.url })),
  });
}
