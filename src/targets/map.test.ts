import { describe, expect, it } from 'vitest';
import { canonicalDossier, type CanonicalDossier } from '../../contracts';
import { GatewayError } from '../lib/errors';
import { makeDossier } from '../../test/support/dossier';
import { dvcqgSteps, toDvcqgDossier } from './dvcqg-map';
import { fieldsOf, provinceSteps, toProvinceDossier, toProvinceStatus } from './province-map';
import { missingSteps, stepKey } from './steps';

const dossier = (o: Parameters<typeof makeDossier>[0] = {}): CanonicalDossier =>
  canonicalDossier.parse({ ...makeDossier(o), version: 1 });
const names = { name: 'Đăng ký khai sinh', sectorCode: 'G15-TP07', sectorName: 'Hộ tịch' };

describe('province wire mapping', () => {
  it('writes dates as yyyy-MM-dd HH:mm:ss Vietnam time and codes as the province numbers them', () => {
    const body = toProvinceDossier(dossier({ submittedAt: '2026-03-01T14:14:00Z', channel: 'POSTAL' }));
    expect(body).toMatchObject({
      MaHoSoNguon: 'HT-380-2603-000117',
      HeThongNguon: 'civil-status',
      MaTTHC: '1.001193',
      LoaiDoiTuong: 0,
      KenhThucHien: 3,
      HinhThucTraKetQua: 1,
      NgayNop: '2026-03-01 21:14:00',
      NgayTiepNhan: '2026-03-02 08:05:10',
      NgayHenTra: '2026-03-02 17:00:00',
      TrangThai: 4,
      NgayKetThucXuLy: null,
    });
    expect(body.ChuHoSo).toEqual({ HoTen: 'Trần Gia Bảo', SoDinhDanh: null, SoDienThoai: null, Email: null, DiaChi: null });
    expect(body.NguoiNop.SoDinhDanh).toBe('038088009876');
    expect(body.DuLieuChuyenNganh).not.toHaveProperty('raw');
    expect(fieldsOf(body)).not.toHaveProperty('TrangThai');
  });

  it('refuses content the province would refuse, naming the field', () => {
    expect(() => toProvinceDossier(dossier({ summary: 'x'.repeat(501) }))).toThrow(/TrichYeu/);
    try {
      toProvinceDossier(dossier({ owner: { kind: 'STATE_AGENCY', name: 'Sở Tư pháp', ids: [] } }));
      throw new Error('should have refused');
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).errorClass).toBe('invalid_content');
    }
  });

  it('sends steps with their start and statutory end, and a status update with the finish time', () => {
    const d = dossier({
      status: 'RESULT_READY',
      completedAt: '2026-03-02T10:41:00+07:00',
      results: [{ name: 'Giấy khai sinh', url: 'https://hotich.example/files/55188' }],
      events: [
        { seq: 0, at: '2026-03-02T08:05:10+07:00', actor: 'Phạm Thu Trang', actorTitle: 'Công chức tư pháp - hộ tịch', content: 'Tiếp nhận hồ sơ', status: 'IN_PROGRESS' },
        { seq: 1, at: '2026-03-02T10:41:00.250+07:00', actor: 'Phạm Thu Trang', content: 'Đã đăng ký khai sinh', status: 'RESULT_READY' },
      ],
    });
    const steps = provinceSteps(d);
    expect(steps[1]!.step).toEqual({
      NguoiXuLy: 'Phạm Thu Trang',
      ChucDanh: null,
      PhongBanXuLy: 'UBND xã Quảng Phú',
      NoiDungXuLy: 'Đã đăng ký khai sinh',
      TrangThai: 9,
      ThoiDiemXuLy: '2026-03-02T10:41:00+07:00',
      NgayBatDau: '2026-03-02T08:05:10+07:00',
      NgayKetThucTheoQuyDinh: '2026-03-02T17:00:00+07:00',
    });
    expect(steps[1]!.key).toBe('2026-03-02T10:41:00+07:00|9|Đã đăng ký khai sinh');
    expect(toProvinceStatus(d)).toEqual({
      TrangThai: 9,
      ThoiDiem: '2026-03-02T10:41:00+07:00',
      NgayKetThucXuLy: '2026-03-02 10:41:00',
      NgayTra: null,
      KetQua: [{ TenGiayTo: 'Giấy khai sinh', DuongDan: 'https://hotich.example/files/55188' }],
    });
  });
});

describe('DVCQG wire mapping', () => {
  it('writes every value as a string, "" when absent, with identifiers typed by length', () => {
    const body = toDvcqgDossier(dossier({ owner: { kind: 'CITIZEN', name: 'Trần Văn Hùng', ids: [{ type: 'CCCD', value: '038088009876' }, { type: 'CMND', value: '038088009' }] } }), '000.00.16.H56-260302-0001', names);
    expect(body).toMatchObject({
      MaHoSo: '000.00.16.H56-260302-0001',
      TenLinhVuc: 'Hộ tịch',
      KenhThucHien: '2',
      LoaiDoiTuong: '1',
      SoGiayToChuHoSo: '038088009876',
      DinhDanhCHS: [
        { LoaiDinhDanh: '1', SoDinhDanh: '038088009876' },
        { LoaiDinhDanh: '2', SoDinhDanh: '038088009' },
      ],
      NgayTiepNhan: '20260302080510',
      NgayKetThucXuLy: '',
      NgayTra: '',
      TrangThaiHoSo: '4',
      HoSoCoThanhPhanSoHoa: '0',
      DuocThanhToanTrucTuyen: '0',
    });
    for (const value of Object.values(body)) expect(typeof value === 'string' || Array.isArray(value)).toBe(true);
  });

  it('gives a household business no LoaiDinhDanh: its code goes in SoGiayToChuHoSo', () => {
    const body = toDvcqgDossier(dossier({ owner: { kind: 'HOUSEHOLD_BUSINESS', name: 'Tạp hóa Lan Anh', ids: [{ type: 'MSHKD', value: '38H8001234' }] } }), '000.00.16.H56-260302-0001', names);
    expect(body).toMatchObject({ LoaiDoiTuong: '2', SoGiayToChuHoSo: '38H8001234', DinhDanhCHS: [] });
  });

  it('cuts the actor to the portal\'s 50 characters and keys steps like the province', () => {
    const long = 'Nguyễn Văn '.repeat(8);
    const d = dossier({ events: [{ seq: 0, at: '2026-03-02T08:05:10+07:00', actor: long, content: 'Tiếp nhận hồ sơ', status: 'IN_PROGRESS' }] });
    const [s] = dvcqgSteps(d, '000.00.16.H56-260302-0001');
    expect(s!.step.NguoiXuLy).toHaveLength(50);
    expect(s!.step.ThoiDiemXuLy).toBe('20260302080510');
    expect(s!.key).toBe(provinceSteps(d)[0]!.key);
  });
});

describe('steps a target lacks', () => {
  it('sends only what is not held, each held key covering one occurrence', () => {
    const e = (at: string, content: string) => ({ key: stepKey({ at, status: 'IN_PROGRESS', content }) });
    const a = e('2026-03-02T08:00:00+07:00', 'a');
    const b = e('2026-03-02T09:00:00+07:00', 'b');
    expect(missingSteps([a, b], [a.key])).toEqual([b]);
    expect(missingSteps([a, a, b], [a.key])).toEqual([a, b]);
    expect(missingSteps([a, b], [a.key, b.key, b.key])).toEqual([]);
  });
});
