import {
  DVCQG_ID_TYPE,
  DVCQG_PARTY_KIND,
  channelCode,
  isFinished,
  statusCode,
  type CanonicalDossier,
  type ProcessingEvent,
} from '../../contracts';
import { dvcqgDossier, dvcqgStep, type DvcqgDossier, type DvcqgStep } from '../../contracts/targets/dvcqg';
import { GatewayError } from '../lib/errors';
import { toDvcqgDate } from '../lib/time';
import { stepKey } from './steps';

/** canonical -> the national portal's wire format (targets/dvcqg.md): every value a string, "" when absent. Pure. */

export interface CatalogNames {
  name: string;
  sectorCode: string;
  sectorName: string;
}

function invalid(field: string, message: string): GatewayError {
  return new GatewayError('invalid_content', 'DVCQG_CONTENT', `dvcqg: ${field}: ${message}`, { detail: { field } });
}

function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw invalid(issue?.path.map(String).join('.') || '(body)', issue?.message ?? 'invalid');
}

export function toDvcqgDossier(d: CanonicalDossier, maHoSo: string, names: CatalogNames): DvcqgDossier {
  const owner = d.owner;
  const household = owner.kind === 'HOUSEHOLD_BUSINESS';
  const ids = household
    ? []
    : owner.ids.flatMap((id) => {
        const type = DVCQG_ID_TYPE[id.type];
        return type ? [{ LoaiDinhDanh: type, SoDinhDanh: id.value }] : [];
      });
  const finished = isFinished(d.status);
  const paidOnline = d.fees.some((f) => f.amountVnd > 0 && f.paidOnline);
  return checked(dvcqgDossier, {
    MaHoSo: maHoSo,
    MaTTHC: d.procedure.nationalCode,
    TenTTHC: names.name,
    MaLinhVuc: names.sectorCode,
    TenLinhVuc: names.sectorName,
    KenhThucHien: String(channelCode(d.channel)),
    ChuHoSo: owner.name,
    LoaiDoiTuong: DVCQG_PARTY_KIND[owner.kind],
    MaDoiTuong: '',
    SoGiayToChuHoSo: owner.ids[0]?.value ?? '',
    DinhDanhCHS: ids,
    Email: owner.email ?? d.applicant.email ?? '',
    SoDienThoai: owner.phone ?? d.applicant.phone ?? '',
    TrichYeuHoSo: d.summary,
    NgayTiepNhan: toDvcqgDate(d.receivedAt),
    NgayHenTra: toDvcqgDate(d.dueAt),
    TrangThaiHoSo: String(statusCode(d.status)),
    NgayKetThucXuLy: finished ? toDvcqgDate(d.completedAt) : '',
    NgayTra: toDvcqgDate(d.deliveredAt),
    HinhThuc: d.resultDelivery === 'POSTAL' ? '1' : '0',
    DonViXuLy: d.receivingAgency.name,
    // Sources say a fee was paid online, not through which portal; the province's gateway is the
    // one the province answers for.
    DuocThanhToanTrucTuyen: paidOnline ? '2' : '0',
    HoSoCoThanhPhanSoHoa: d.documents.length > 0 && d.documents.every((doc) => doc.digitized) ? '1' : '0',
    TaiLieuNop: d.documents.map((doc) => ({ TenTepDinhKem: doc.name, DuongDanTaiTepTin: doc.url ?? '', DuocSoHoa: doc.digitized ? '1' : '0' })),
    DanhSachLePhi: d.fees.map((f) => ({ TenPhiLePhi: f.name, MaPhiLePhi: '', Gia: String(f.amountVnd), HinhThucThu: '', LoaiPhiLePhi: '' })),
    DanhSachHoSoBoSung: d.pauses
      .filter((p) => p.kind === 'SUPPLEMENT')
      .map((p) => ({
        NgayYeuCauBoSung: toDvcqgDate(p.requestedAt),
        NoiDungBoSung: p.note ?? '',
        NgayTiepNhanBoSung: toDvcqgDate(p.resumedAt),
        NgayHenTraTruoc: toDvcqgDate(p.dueBefore),
        NgayHenTraMoi: toDvcqgDate(p.dueAfter),
      })),
    DanhSachGiayToKetQua: d.results.map((r) => ({ TenGiayTo: r.name, DuongDanTepTinKetQua: r.url })),
  });
}

export function toDvcqgStep(d: CanonicalDossier, maHoSo: string, e: ProcessingEvent, previous: ProcessingEvent | undefined): DvcqgStep {
  return checked(dvcqgStep, {
    MaHoSo: maHoSo,
    // The portal keeps 50 characters of the actor; a longer name must not hold a dossier's progress back.
    NguoiXuLy: e.actor.slice(0, 50),
    ChucDanh: e.actorTitle ?? '',
    ThoiDiemXuLy: toDvcqgDate(e.at),
    PhongBanXuLy: e.department ?? d.receivingAgency.name,
    NoiDungXuLy: e.content,
    TrangThai: String(statusCode(e.status)),
    NgayBatDau: toDvcqgDate(previous?.at ?? d.receivedAt),
    NgayKetThucTheoQuyDinh: toDvcqgDate(e.stepDueAt ?? d.dueAt),
  });
}

export function dvcqgSteps(d: CanonicalDossier, maHoSo: string): { key: string; step: DvcqgStep }[] {
  return d.events.map((e, i) => ({ key: stepKey(e), step: toDvcqgStep(d, maHoSo, e, d.events[i - 1]) }));
}
