import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { createBusinessClient, createBusinessPoller } from '../../adapters/business-registration/client';
import { toBusinessDossier } from '../../adapters/business-registration/map';
import { envelope, readSoapResponse, sliceDossiers, soapParser } from '../../adapters/business-registration/soap';
import { dossier as wireDossier } from '../../adapters/business-registration/wire';
import type { PollContext, RawRecord } from '../../adapters/types';
import { BUSINESS_STATUS, dossierDraft, type BusinessSourceConfig } from '../../contracts';
import { GatewayError } from '../../src/lib/errors';
import { silentLogger } from '../../src/lib/log';
import { XmlRefusedError } from '../../src/lib/xml';
import { BUSINESS_PROCEDURES, BUSINESS_UNMAPPED_CODES } from '../catalog';
import { SANDBOX_BUSINESS_CREDENTIALS } from '../credentials';
import { call, manualClock, serveForTest } from '../shared/testing';
import { DEEP_NESTING_DEPTH, HUGE_TEXT_LENGTH } from './hostile';
import { createBusinessSimulator, HOSTILE_KINDS, type BusinessDossier, type BusinessDossierInput, type BusinessSimulatorOptions, type BusinessStatus } from './index';

const T0 = '2026-03-02T01:05:10Z'; // Monday 02/03/2026 08:05:10 in Vietnam
const at = (iso: string) => Date.parse(iso);
const fixture = (name: string) => readFileSync(new URL(`../../adapters/business-registration/fixtures/${name}`, import.meta.url), 'utf8');

/** The household-business dossier of the spec's example. */
function household(MaHoSo = 'HKD-H56-2603-00981', over: Partial<BusinessDossierInput> = {}): BusinessDossierInput {
  return {
    MaHoSo,
    LoaiHoSo: 'HKD_DANG_KY_MOI',
    MaTTHC: 'HKD01',
    CoQuanTiepNhan: { MaDinhDanh: '000.00.16.H56', Ten: 'UBND xã Quảng Phú' },
    KenhNop: 'TRUC_TUYEN',
    NgayNop: '2026-03-01T21:14:00+07:00',
    NgayTiepNhan: '2026-03-02T07:45:00+07:00',
    NgayHenTra: '2026-03-05T17:00:00+07:00',
    TrangThai: 'DANG_XU_LY',
    NguoiNop: { HoTen: 'Đỗ Thị Lan', SoDinhDanh: '038192001122', DienThoai: '0903111222', Email: 'lan.do@example.vn' },
    HoKinhDoanh: { TenHoKinhDoanh: 'Tạp hóa Lan Anh', MaSoHKD: '38H8001234', NganhNghe: 'Bán lẻ lương thực, thực phẩm', VonKinhDoanh: 150_000_000 },
    LePhi: [{ Ten: 'Lệ phí đăng ký hộ kinh doanh', SoTien: 100_000, ThanhToanTrucTuyen: true }],
    LichSuXuLy: [
      { ThoiDiem: '2026-03-02T07:45:00+07:00', CanBo: 'Vũ Minh Đức', NoiDung: 'Tiếp nhận hồ sơ', TrangThai: 'DA_TIEP_NHAN' },
      { ThoiDiem: '2026-03-02T09:30:12+07:00', CanBo: 'Vũ Minh Đức', NoiDung: 'Chuyển xử lý', TrangThai: 'DANG_XU_LY' },
    ],
    TaiLieu: [{ Ten: 'Giấy đề nghị đăng ký hộ kinh doanh', DuongDan: 'https://dkkd.example/f/77120' }],
    KetQua: [],
    ...over,
  };
}

/** The enterprise dossier of the spec's sample. */
function enterprise(MaHoSo = 'DN-H56-2603-00412', over: Partial<BusinessDossierInput> = {}): BusinessDossierInput {
  return {
    ...household(MaHoSo),
    LoaiHoSo: 'DN_DANG_KY_MOI',
    MaTTHC: 'DN01',
    CoQuanTiepNhan: { MaDinhDanh: '000.00.05.H56', Ten: 'Phòng Đăng ký kinh doanh - Sở Tài chính' },
    NgayNop: '2026-03-03T22:01:09+07:00',
    NgayTiepNhan: '2026-03-04T08:00:00+07:00',
    NgayHenTra: '2026-03-06T17:00:00+07:00',
    TrangThai: 'DA_CAP_GCN',
    NguoiNop: { HoTen: 'Trịnh Văn Khải', SoDinhDanh: '038090007788', DienThoai: '0977000888', Email: 'khai@congtyabc.vn' },
    HoKinhDoanh: undefined,
    DoanhNghiep: { TenTiengViet: 'Công ty TNHH Thương mại & Dịch vụ Sông Mã', MaSoDoanhNghiep: '0801234567', LoaiHinh: 'TNHH_MTV' },
    LePhi: [{ Ten: 'Lệ phí đăng ký doanh nghiệp', SoTien: 0, ThanhToanTrucTuyen: false }],
    LichSuXuLy: [
      { ThoiDiem: '2026-03-04T08:00:00+07:00', CanBo: 'Vũ Minh Đức', NoiDung: 'Tiếp nhận hồ sơ', TrangThai: 'DA_TIEP_NHAN' },
      { ThoiDiem: '2026-03-05T10:12:45+07:00', CanBo: 'Vũ Minh Đức', NoiDung: 'Cấp giấy chứng nhận đăng ký doanh nghiệp', TrangThai: 'DA_CAP_GCN' },
    ],
    TaiLieu: [{ Ten: 'Giấy đề nghị đăng ký doanh nghiệp', DuongDan: 'https://dkkd.example/f/80012' }],
    KetQua: [{ Ten: 'Giấy chứng nhận đăng ký doanh nghiệp', DuongDan: 'https://dkkd.example/f/80090' }],
    ...over,
  };
}

/** Reads answers independently of the gateway: by local name, every value a string. */
const reader = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  htmlEntities: true,
  isArray: (name) => ['HoSo', 'Buoc', 'LePhi', 'TaiLieu', 'KetQua'].includes(name),
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const bodyOf = (xml: string): any => reader.parse(xml).Envelope.Body;

const CREDENTIALS = { username: SANDBOX_BUSINESS_CREDENTIALS.username, password: SANDBOX_BUSINESS_CREDENTIALS.password };

interface SoapInit {
  credentials?: { username: string; password: string };
  /** SOAPAction header; null leaves it out. Default the operation in quotes. */
  action?: string | null;
  contentType?: string;
  /** A raw body instead of the envelope. */
  body?: string;
}

async function setup(options: BusinessSimulatorOptions = {}) {
  const clock = manualClock(T0);
  const sim = createBusinessSimulator({ now: clock.now, rateLimitPerSecond: 0, ncrShare: 0, ...options });
  const { url } = await serveForTest(sim);
  const soap = (operation: string, params: Record<string, string | number> = {}, init: SoapInit = {}) => {
    const headers: Record<string, string> = { 'content-type': init.contentType ?? 'text/xml; charset=utf-8' };
    const action = init.action === undefined ? `"${operation}"` : init.action;
    if (action !== null) headers['soapaction'] = action;
    return call(`${url}/ws/HoSoDangKy`, { method: 'POST', headers, body: init.body ?? envelope(operation, params, init.credentials ?? CREDENTIALS) });
  };
  const list = (tuThoiDiem: string, trang = 1, kichThuocTrang = 100) => soap('LayDanhSachHoSoThayDoi', { TuThoiDiem: tuThoiDiem, Trang: trang, KichThuocTrang: kichThuocTrang });
  return { sim, url, clock, soap, list };
}

const codesOf = (xml: string): string[] => (bodyOf(xml).LayDanhSachHoSoThayDoiResponse.DanhSachHoSo?.HoSo ?? []).map((h: { MaHoSo: string }) => h.MaHoSo);
const faultOf = (xml: string): { faultcode: string; faultstring: string } => bodyOf(xml).Fault;

describe('business-registration: operations', () => {
  it('lists a dossier exactly as the spec writes it', async () => {
    const { sim, list } = await setup();
    sim.state.put(household(), at('2026-03-02T09:30:12.481+07:00'));
    const res = await list('2026-03-02T08:00:00+07:00');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(res.text).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?><s:Envelope xmlns:s="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/"><s:Body><ns2:LayDanhSachHoSoThayDoiResponse xmlns:ns2="http:\/\/dangkykinhdoanh.gov.vn\/ws">/);
    const expected = sliceDossiers(fixture('business-household-page.xml'))[0]!.replace(/>\s+</g, '><');
    expect(sliceDossiers(res.text)).toEqual([expected]);
    expect(bodyOf(res.text).LayDanhSachHoSoThayDoiResponse).toMatchObject({ TongSoTrang: '1', Trang: '1' });
  });

  it('answers LayHoSo with the whole dossier, and a soap:Client KHONG_TIM_THAY for an unknown code', async () => {
    const { sim, soap } = await setup();
    sim.state.put(enterprise(), at('2026-03-05T10:12:45.002+07:00'));
    const found = await soap('LayHoSo', { MaHoSo: 'DN-H56-2603-00412' });
    expect(found.status).toBe(200);
    const hoSo = bodyOf(found.text).LayHoSoResponse.HoSo;
    expect(hoSo).toHaveLength(1);
    expect(hoSo[0]).toEqual(reader.parse(sliceDossiers(fixture('business-single-enterprise.xml'))[0]!).HoSo[0]);
    const missing = await soap('LayHoSo', { MaHoSo: 'DN-H56-2603-99999' });
    expect(missing.status).toBe(500);
    expect(missing.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(faultOf(missing.text)).toEqual({ faultcode: 's:Client', faultstring: 'KHONG_TIM_THAY: không tìm thấy hồ sơ DN-H56-2603-99999' });
  });

  it('counts dossiers received in a date range, both days included, not those still awaiting reception', async () => {
    const { sim, soap } = await setup();
    sim.state.put(household('A', { NgayTiepNhan: '2026-03-01T00:00:00+07:00' }));
    sim.state.put(household('B', { NgayTiepNhan: '2026-03-31T23:59:59+07:00' }));
    sim.state.put(household('C', { NgayTiepNhan: '2026-02-28T23:59:59+07:00' }));
    sim.state.put(household('D', { NgayTiepNhan: '2026-04-01T00:00:00+07:00' }));
    sim.state.put(household('E', { NgayTiepNhan: undefined, NgayHenTra: undefined, TrangThai: 'DA_NOP', LichSuXuLy: [] }));
    const count = async (tuNgay: string, denNgay: string) => bodyOf((await soap('DemHoSo', { TuNgay: tuNgay, DenNgay: denNgay })).text).DemHoSoResponse.TongSo;
    expect(await count('2026-03-01', '2026-03-31')).toBe('2');
    expect(await count('2026-02-28', '2026-04-01')).toBe('4');
    expect(await count('2026-03-02', '2026-03-30')).toBe('0');
  });
});

describe('business-registration: requests', () => {
  it('refuses wrong, missing or digest credentials with a soap:Client XAC_THUC_THAT_BAI', async () => {
    const { soap } = await setup();
    const params = { TuNgay: '2026-03-01', DenNgay: '2026-03-31' };
    const wrong = await soap('DemHoSo', params, { credentials: { username: 'lienthong-h56', password: 'x' } });
    expect(wrong.status).toBe(500);
    expect(faultOf(wrong.text)).toEqual({ faultcode: 's:Client', faultstring: 'XAC_THUC_THAT_BAI: tên đăng nhập hoặc mật khẩu không đúng' });
    const bare = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:dk="http://dangkykinhdoanh.gov.vn/ws"><soap:Body><dk:DemHoSo><dk:TuNgay>2026-03-01</dk:TuNgay><dk:DenNgay>2026-03-31</dk:DenNgay></dk:DemHoSo></soap:Body></soap:Envelope>`;
    expect(faultOf((await soap('DemHoSo', {}, { body: bare })).text).faultstring).toMatch(/^XAC_THUC_THAT_BAI: /);
    const digest = envelope('DemHoSo', params, CREDENTIALS).replace('<wsse:Password>', '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">');
    expect(faultOf((await soap('DemHoSo', {}, { body: digest })).text).faultstring).toMatch(/^XAC_THUC_THAT_BAI: /);
    const plain = envelope('DemHoSo', params, CREDENTIALS).replace('<wsse:Password>', '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">');
    expect((await soap('DemHoSo', {}, { body: plain })).status).toBe(200);
  });

  it('reads the request by local names, whatever the prefixes', async () => {
    const { soap } = await setup();
    const body =
      `<?xml version="1.0" encoding="utf-8"?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">` +
      `<S:Header><Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><UsernameToken>` +
      `<Username>lienthong-h56</Username><Password>sandbox-password</Password></UsernameToken></Security></S:Header>` +
      `<S:Body><ws:DemHoSo xmlns:ws="http://dangkykinhdoanh.gov.vn/ws"><ws:TuNgay>2026-03-01</ws:TuNgay><DenNgay xmlns="http://dangkykinhdoanh.gov.vn/ws">2026-03-31</DenNgay></ws:DemHoSo></S:Body></S:Envelope>`;
    const res = await soap('DemHoSo', {}, { body });
    expect(res.status).toBe(200);
    expect(bodyOf(res.text).DemHoSoResponse.TongSo).toBe('0');
  });

  it('refuses invalid parameters with a soap:Client THAM_SO_KHONG_HOP_LE', async () => {
    const { list, soap } = await setup();
    const reason = async (res: Promise<{ status: number; text: string }>) => {
      const r = await res;
      expect(r.status).toBe(500);
      expect(faultOf(r.text).faultcode).toBe('s:Client');
      return faultOf(r.text).faultstring.split(':')[0];
    };
    expect(await reason(list('2026-03-02T08:00:00+07:00', 1, 101))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(list('2026-03-02T08:00:00+07:00', 1, 0))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(list('2026-03-02T08:00:00+07:00', 0, 10))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(list('2026-03-02T08:00:00+07:00', -1, 10))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(list('2026-03-02T08:00:00', 1, 10))).toBe('THAM_SO_KHONG_HOP_LE'); // no offset
    expect(await reason(list('2026-03-02T08:00+07:00', 1, 10))).toBe('THAM_SO_KHONG_HOP_LE'); // no seconds
    expect(await reason(list('2026-02-30T08:00:00+07:00', 1, 10))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(soap('LayDanhSachHoSoThayDoi', { TuThoiDiem: '2026-03-02T08:00:00+07:00', Trang: 1 }))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(soap('LayDanhSachHoSoThayDoi', { TuThoiDiem: '2026-03-02T08:00:00+07:00', Trang: 1, KichThuocTrang: 10, Loc: 'x' }))).toBe('THAM_SO_KHONG_HOP_LE');
    const twice = envelope('LayHoSo', { MaHoSo: 'A' }, CREDENTIALS).replace('</dk:MaHoSo>', '</dk:MaHoSo><dk:MaHoSo>B</dk:MaHoSo>');
    expect(await reason(soap('LayHoSo', {}, { body: twice }))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(soap('LayHoSo', { MaHoSo: '' }))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(soap('DemHoSo', { TuNgay: '2026-03-31', DenNgay: '2026-03-01' }))).toBe('THAM_SO_KHONG_HOP_LE');
    expect(await reason(soap('DemHoSo', { TuNgay: '01/03/2026', DenNgay: '2026-03-31' }))).toBe('THAM_SO_KHONG_HOP_LE');
    expect((await list('2026-03-02T01:00:00.123Z', 1, 100)).status).toBe(200);
  });

  it('refuses a malformed request, a wrong SOAPAction or Content-Type, and an unknown operation', async () => {
    const { soap } = await setup();
    const code = async (res: Promise<{ status: number; text: string }>) => faultOf((await res).text).faultstring.split(':')[0];
    const params = { TuNgay: '2026-03-01', DenNgay: '2026-03-31' };
    expect(await code(soap('DemHoSo', params, { action: null }))).toBe('YEU_CAU_KHONG_HOP_LE');
    expect(await code(soap('DemHoSo', params, { action: 'DemHoSo' }))).toBe('YEU_CAU_KHONG_HOP_LE'); // unquoted
    expect(await code(soap('DemHoSo', params, { action: '"LayHoSo"' }))).toBe('YEU_CAU_KHONG_HOP_LE');
    expect(await code(soap('DemHoSo', params, { contentType: 'application/json' }))).toBe('YEU_CAU_KHONG_HOP_LE');
    expect(await code(soap('DemHoSo', params, { contentType: 'text/xml; charset=iso-8859-1' }))).toBe('YEU_CAU_KHONG_HOP_LE');
    expect(await code(soap('DemHoSo', {}, { body: '<soap:Envelope><soap:Body><DemHoSo>' }))).toBe('YEU_CAU_KHONG_HOP_LE');
    expect(await code(soap('DemHoSo', {}, { body: '{"TuNgay":"2026-03-01"}' }))).toBe('YEU_CAU_KHONG_HOP_LE');
    expect(await code(soap('XoaHoSo', { MaHoSo: 'A' }))).toBe('THAO_TAC_KHONG_HO_TRO');
    expect((await soap('DemHoSo', params, { contentType: 'text/xml' })).status).toBe(200);
  });

  it('refuses a request carrying a DOCTYPE or entity declarations without expanding anything', async () => {
    const { soap } = await setup();
    const base = envelope('LayHoSo', { MaHoSo: 'X' }, CREDENTIALS);
    let bomb = '<!ENTITY a "aaaaaaaaaa">';
    for (let i = 1; i <= 9; i++) bomb += `<!ENTITY a${i} "${`&a${i === 1 ? '' : i - 1};`.repeat(10)}">`;
    const attacks = [
      base.replace('<?xml version="1.0" encoding="utf-8"?>', `<?xml version="1.0"?><!DOCTYPE soap:Envelope [${bomb}]>`).replace('<dk:MaHoSo>X', '<dk:MaHoSo>&a9;'),
      base.replace('<?xml version="1.0" encoding="utf-8"?>', '<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>').replace('<dk:MaHoSo>X', '<dk:MaHoSo>&xxe;'),
      base.replace('<?xml version="1.0" encoding="utf-8"?>', '<!doctype soap:Envelope>'),
    ];
    for (const body of attacks) {
      const started = performance.now();
      const res = await soap('LayHoSo', {}, { body });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(res.status).toBe(500);
      expect(faultOf(res.text)).toEqual({ faultcode: 's:Client', faultstring: 'YEU_CAU_KHONG_HOP_LE: yêu cầu chứa DOCTYPE hoặc khai báo thực thể, bị từ chối' });
      expect(res.text.length).toBeLessThan(1000);
    }
  });
});

describe('business-registration: change list', () => {
  it('orders by ThoiDiemCapNhat then MaHoSo, many sharing one instant, from TuThoiDiem inclusive to the millisecond', async () => {
    const { sim, list } = await setup();
    const t = at('2026-03-02T09:00:00.250+07:00');
    for (const code of ['HKD-H56-2603-00007', 'DN-H56-2603-00002', 'HKD-H56-2603-00003']) sim.state.put(household(code), t);
    sim.state.put(household('HKD-H56-2603-00001'), t + 1);
    sim.state.put(household('HKD-H56-2603-00009'), t - 1);
    const all = await list('2026-03-02T09:00:00.249+07:00');
    expect(codesOf(all.text)).toEqual(['HKD-H56-2603-00009', 'DN-H56-2603-00002', 'HKD-H56-2603-00003', 'HKD-H56-2603-00007', 'HKD-H56-2603-00001']);
    expect(codesOf((await list('2026-03-02T09:00:00.250+07:00')).text)).toEqual(['DN-H56-2603-00002', 'HKD-H56-2603-00003', 'HKD-H56-2603-00007', 'HKD-H56-2603-00001']);
    expect(codesOf((await list('2026-03-02T02:00:00.251Z')).text)).toEqual(['HKD-H56-2603-00001']);
    const stamps = bodyOf(all.text).LayDanhSachHoSoThayDoiResponse.DanhSachHoSo.HoSo.map((h: { ThoiDiemCapNhat: string }) => h.ThoiDiemCapNhat);
    expect(stamps).toEqual(['2026-03-02T09:00:00.249+07:00', ...Array(3).fill('2026-03-02T09:00:00.250+07:00'), '2026-03-02T09:00:00.251+07:00']);
    expect(sim.state.dossiers().map((d) => d.MaHoSo)).toEqual(codesOf(all.text));
  });

  it('pages with Trang and KichThuocTrang: one <HoSo> on a page of one, none past the end', async () => {
    const { sim, list } = await setup();
    for (let i = 1; i <= 5; i++) sim.state.put(household(`HKD-H56-2603-0000${i}`), at('2026-03-02T09:00:00+07:00') + i);
    const page = async (trang: number, size: number) => {
      const res = await list('2026-03-02T08:00:00+07:00', trang, size);
      return { res, codes: codesOf(res.text), pages: bodyOf(res.text).LayDanhSachHoSoThayDoiResponse.TongSoTrang };
    };
    const one = await page(3, 2);
    expect(one).toMatchObject({ codes: ['HKD-H56-2603-00005'], pages: '3' });
    expect(one.res.text.match(/<ns2:HoSo>/g)).toHaveLength(1);
    expect(readSoapResponse(one.res.text, 'LayDanhSachHoSoThayDoi')['DanhSachHoSo']).toMatchObject({ HoSo: [expect.anything()] });
    const past = await page(4, 2);
    expect(past).toMatchObject({ codes: [], pages: '3' });
    expect(past.res.text).toContain('<ns2:DanhSachHoSo/>');
    expect(past.res.text).not.toContain('HoSo>');
    expect(await page(1, 100)).toMatchObject({ pages: '1' });
    const none = await list('2026-03-03T08:00:00+07:00');
    expect(bodyOf(none.text).LayDanhSachHoSoThayDoiResponse).toEqual({ TongSoTrang: '0', Trang: '1', DanhSachHoSo: '' });
  });

  it('computes each page from the live state, so a dossier changed while paging moves to the end', async () => {
    const { sim, list, clock } = await setup();
    const codes = ['A', 'B', 'C', 'D', 'E'].map((c) => `HKD-H56-2603-0000${c}`);
    codes.forEach((code, i) => sim.state.put(household(code), at('2026-03-02T08:10:00+07:00') + i * 1000));
    expect(codesOf((await list('2026-03-02T08:00:00+07:00', 1, 2)).text)).toEqual(codes.slice(0, 2));
    clock.set('2026-03-02T01:20:00.042Z');
    sim.state.update(codes[0]!, (d) => {
      d.TrangThai = 'DA_CAP_GCN';
    });
    expect(codesOf((await list('2026-03-02T08:00:00+07:00', 2, 2)).text)).toEqual(codes.slice(3, 5)); // C slid onto page 1
    const last = await list('2026-03-02T08:00:00+07:00', 3, 2);
    expect(codesOf(last.text)).toEqual([codes[0]]);
    expect(bodyOf(last.text).LayDanhSachHoSoThayDoiResponse.DanhSachHoSo.HoSo[0]).toMatchObject({ TrangThai: 'DA_CAP_GCN', ThoiDiemCapNhat: '2026-03-02T08:20:00.042+07:00' });
    expect(sim.state.changedSince(at('2026-03-02T08:00:00+07:00')).map((d) => d.MaHoSo)).toEqual([...codes.slice(1), codes[0]]);
  });
});

describe('business-registration: how answers are written', () => {
  it('varies prefixes by release, and rotates through all six combinations reproducibly', async () => {
    const { sim, soap } = await setup();
    sim.state.put(household());
    const shape = (xml: string) => `${/<([\w-]+):Envelope/.exec(xml)![1]} ${/<(ns2:)?HoSo>/.exec(xml)![1] ?? 'none'}`;
    for (const envelopePrefix of ['soap', 's', 'SOAP-ENV'] as const) {
      for (const payload of ['ns2', 'none'] as const) {
        sim.setPrefixes(envelopePrefix, payload);
        const res = await soap('LayHoSo', { MaHoSo: 'HKD-H56-2603-00981' });
        expect(shape(res.text)).toBe(`${envelopePrefix} ${payload === 'ns2' ? 'ns2:' : 'none'}`);
        expect(res.text).toContain(payload === 'ns2' ? 'xmlns:ns2="http://dangkykinhdoanh.gov.vn/ws"' : '<LayHoSoResponse xmlns="http://dangkykinhdoanh.gov.vn/ws">');
        expect(readSoapResponse(res.text, 'LayHoSo')).toHaveProperty('HoSo');
        const missing = await soap('LayHoSo', { MaHoSo: 'X' });
        expect(faultOf(missing.text).faultcode).toBe(`${envelopePrefix}:Client`);
      }
    }
    const rotation = async (seed: number) => {
      const { sim: rotating, soap: ask } = await setup({ prefixes: 'rotate', seed });
      rotating.state.put(household());
      const seen: string[] = [];
      for (let i = 0; i < 12; i++) seen.push(shape((await ask('LayHoSo', { MaHoSo: 'HKD-H56-2603-00981' })).text));
      return seen;
    };
    const seen = await rotation(1);
    expect(new Set(seen.slice(0, 6)).size).toBe(6);
    expect(seen.slice(6)).toEqual(seen.slice(0, 6));
    expect(await rotation(1)).toEqual(seen);
    expect(await rotation(2)).not.toEqual(seen);
  });

  it('escapes the five XML entities and writes some Vietnamese letters as numeric character references', async () => {
    const { sim, soap } = await setup({ ncrShare: 1 });
    const name = `Công ty TNHH A & B "Hoàng Long" 'Sông Mã' <1>`;
    sim.state.put(enterprise('DN-H56-2603-00001', { DoanhNghiep: { TenTiengViet: name, MaSoDoanhNghiep: '0801234567', LoaiHinh: 'TNHH_2TV' } }));
    const res = await soap('LayHoSo', { MaHoSo: 'DN-H56-2603-00001' });
    expect(res.text).toContain('<ns2:TenTiengViet>Công ty TNHH A &amp; B &quot;Hoàng Long&quot; &apos;Sông Mã&apos; &lt;1&gt;</ns2:TenTiengViet>');
    expect(res.text).toContain('<ns2:HoTen>Trịnh Văn Kh&#7843;i</ns2:HoTen>'); // as in the spec's sample
    expect(res.text).toContain('<ns2:NoiDung>Tiếp nh&#7853;n hồ sơ</ns2:NoiDung>'); // every second letter with two marks
    const hoSo = bodyOf(res.text).LayHoSoResponse.HoSo[0];
    expect(hoSo.DoanhNghiep.TenTiengViet).toBe(name);
    expect(hoSo.NguoiNop.HoTen).toBe('Trịnh Văn Khải');
    expect(hoSo.DoanhNghiep.MaSoDoanhNghiep).toBe('0801234567');
    const plain = await setup({ ncrShare: 0 });
    plain.sim.state.put(enterprise());
    expect((await plain.soap('LayHoSo', { MaHoSo: 'DN-H56-2603-00412' })).text).not.toMatch(/&#\d+;/);
  });
});

describe('business-registration: faults, limits and hostile answers', () => {
  it('answers the 5xx fault as this system does: a soap:Server HE_THONG_BAN or a 503 HTML page, by seed', async () => {
    const outcomes = async (seed: number) => {
      const { sim, soap } = await setup({ faults: { rate: 1, seed, kinds: ['5xx'] } });
      const seen: string[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await soap('DemHoSo', { TuNgay: '2026-03-01', DenNgay: '2026-03-31' });
        if (res.status === 500) {
          expect(faultOf(res.text)).toEqual({ faultcode: 's:Server', faultstring: 'HE_THONG_BAN: Hệ thống đang bận, vui lòng thử lại sau' });
          seen.push('fault');
        } else {
          expect(res.status).toBe(503);
          expect(res.headers.get('content-type')).toMatch(/^text\/html/);
          seen.push('503');
        }
      }
      expect(sim.faultCounts()['5xx']).toBe(12);
      return seen;
    };
    const seen = await outcomes(3);
    expect(new Set(seen)).toEqual(new Set(['fault', '503']));
    expect(await outcomes(3)).toEqual(seen);
  });

  it('throttles per account with HTTP 429 and Retry-After, and drops connections on the drop fault', async () => {
    const { sim, soap } = await setup({ rateLimitPerSecond: 2 });
    const params = { TuNgay: '2026-03-01', DenNgay: '2026-03-31' };
    expect([(await soap('DemHoSo', params)).status, (await soap('DemHoSo', params)).status]).toEqual([200, 200]);
    const limited = await soap('DemHoSo', params);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    sim.setRateLimit(0);
    sim.setFaults({ rate: 1, seed: 1, kinds: ['429'], retryAfterSeconds: 7 });
    const faulted = await soap('DemHoSo', params);
    expect([faulted.status, faulted.headers.get('retry-after')]).toEqual([429, '7']);
    sim.setFaults({ rate: 1, seed: 1, kinds: ['drop'] });
    await expect(soap('DemHoSo', params)).rejects.toThrow();
    sim.setFaults(null);
    expect((await soap('DemHoSo', params)).status).toBe(200);
    expect(sim.faultCounts()).toMatchObject({ '429': 1, drop: 1 });
  });

  it('sends each hostile answer as it says, until cleared', async () => {
    const { sim, list, soap } = await setup();
    const answer = async (kind: (typeof HOSTILE_KINDS)[number]) => {
      sim.setHostile(kind);
      const res = await list('2026-03-02T08:00:00+07:00');
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/xml; charset=utf-8']);
      return res.text;
    };
    const laughs = await answer('billion-laughs');
    expect(laughs).toContain('<!DOCTYPE s:Envelope [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">');
    expect(laughs).toContain(`<!ENTITY lol9 "${'&lol8;'.repeat(10)}">]>`);
    expect(laughs.match(/<!ENTITY /g)).toHaveLength(10);
    expect(laughs).toContain('<ns2:MaHoSo>&lol9;</ns2:MaHoSo>');
    const xxe = await answer('xxe');
    expect(xxe).toContain('<!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>');
    expect(xxe).toContain('<ns2:MaHoSo>&xxe;</ns2:MaHoSo>');
    const doctype = await answer('doctype');
    expect(doctype).toContain('<!DOCTYPE s:Envelope>');
    expect(doctype).not.toContain('<!ENTITY');
    expect(codesOf(doctype.replace('<!DOCTYPE s:Envelope>', ''))).toEqual(['HKD-H56-2603-00001']);
    const deep = await answer('deep-nesting');
    const opened = deep.indexOf('<ns2:Buoc>');
    expect(deep.slice(opened, opened + 10 * DEEP_NESTING_DEPTH)).toBe('<ns2:Buoc>'.repeat(DEEP_NESTING_DEPTH));
    expect(deep.slice(opened + 10 * DEEP_NESTING_DEPTH, opened + 21 * DEEP_NESTING_DEPTH)).toBe('</ns2:Buoc>'.repeat(DEEP_NESTING_DEPTH));
    const huge = await answer('huge-text');
    expect(huge.length).toBeGreaterThan(HUGE_TEXT_LENGTH);
    expect(huge).toContain(`<ns2:MaHoSo>${'A'.repeat(HUGE_TEXT_LENGTH)}</ns2:MaHoSo>`);
    expect(HUGE_TEXT_LENGTH).toBe(20 * 1024 * 1024);
    sim.setHostile('xxe');
    expect((await soap('DemHoSo', { TuNgay: '2026-03-01', DenNgay: '2026-03-31' })).text).toContain('<ns2:TongSo>&xxe;</ns2:TongSo>');
    sim.setHostile(null);
    expect((await list('2026-03-02T08:00:00+07:00')).text).not.toContain('<!DOCTYPE');
  });
});

describe('business-registration: control routes', () => {
  it('shows the state and resets dossiers, faults, hostile mode and the prefix rotation', async () => {
    const { sim, url, soap } = await setup({ prefixes: 'rotate', faults: { rate: 0, seed: 1 } });
    const shape = (xml: string) => `${/<([\w-]+):Envelope/.exec(xml)![1]} ${/<(ns2:)?HoSo>/.exec(xml)![1] ?? 'none'}`;
    sim.state.put(household());
    sim.setHostile('xxe');
    const first = shape((await soap('LayHoSo', { MaHoSo: 'HKD-H56-2603-00981' })).text);
    sim.setFaults({ rate: 1, seed: 1, kinds: ['5xx'] });
    await soap('LayHoSo', { MaHoSo: 'HKD-H56-2603-00981' });
    const state = await call(`${url}/__sandbox/state`);
    expect(state.body).toMatchObject({ dossiers: [{ MaHoSo: 'HKD-H56-2603-00981' }], hostile: 'xxe', faults: { counts: { '5xx': 1 } } });
    expect((await call(`${url}/__sandbox/reset`, { method: 'POST' })).status).toBe(200);
    expect((await call(`${url}/__sandbox/state`)).body).toMatchObject({ dossiers: [], hostile: null, faults: { config: { rate: 0 }, counts: { '5xx': 0 } } });
    expect(faultOf((await soap('LayHoSo', { MaHoSo: 'HKD-H56-2603-00981' })).text).faultstring).toMatch(/^KHONG_TIM_THAY/);
    sim.reset();
    sim.state.put(household());
    const again = await soap('LayHoSo', { MaHoSo: 'HKD-H56-2603-00981' });
    expect(again.text).not.toContain('<!DOCTYPE');
    expect(shape(again.text)).toBe(first); // the rotation starts over
  });
});

/** Statuses a dossier may move to from each status (canonical.md's order; the supplement round trip is the one loop). */
const NEXT: Record<BusinessStatus | 'START', readonly BusinessStatus[]> = {
  START: ['DA_TIEP_NHAN', 'TU_CHOI'],
  DA_NOP: ['DA_TIEP_NHAN', 'TU_CHOI'],
  DA_TIEP_NHAN: ['DANG_XU_LY', 'DA_CAP_GCN', 'TU_CHOI'],
  DANG_XU_LY: ['DANG_XU_LY', 'YEU_CAU_BO_SUNG', 'DA_CAP_GCN', 'RUT_HO_SO', 'DUNG_XU_LY'],
  YEU_CAU_BO_SUNG: ['DANG_XU_LY', 'RUT_HO_SO', 'DUNG_XU_LY'],
  DA_CAP_GCN: ['DA_TRA_KET_QUA'],
  TU_CHOI: [],
  RUT_HO_SO: [],
  DUNG_XU_LY: [],
  DA_TRA_KET_QUA: [],
};

describe('business-registration: generator', () => {
  const snapshot = async (seed: number) => {
    const clock = manualClock(T0);
    const sim = createBusinessSimulator({ now: clock.now, seed: 99 });
    await sim.generator.run({ count: 60, durationMs: 0, seed });
    return sim.state.dossiers();
  };

  it('is deterministic by seed', async () => {
    const a = await snapshot(7);
    expect(await snapshot(7)).toEqual(a);
    expect(await snapshot(8)).not.toEqual(a);
  });

  it('moves statuses only forward, each change a <Buoc>, finished dossiers with their result', async () => {
    let t = Date.parse(T0);
    const sim = createBusinessSimulator({ now: () => (t += 7), seed: 1 });
    await sim.generator.run({ count: 200, durationMs: 0, seed: 1 });
    const all = sim.state.dossiers();
    expect(all).toHaveLength(200);
    for (const d of all) {
      let previous: BusinessStatus | 'START' = 'START';
      for (const b of d.LichSuXuLy) {
        expect(NEXT[previous]).toContain(b.TrangThai);
        previous = b.TrangThai;
      }
      expect(['DA_CAP_GCN', 'DA_TRA_KET_QUA', 'TU_CHOI', 'RUT_HO_SO', 'DUNG_XU_LY']).toContain(d.TrangThai);
      expect(d.LichSuXuLy.at(-1)!.TrangThai).toBe(d.TrangThai);
      expect(d.LichSuXuLy.at(-1)!.ThoiDiem).toBe(d.ThoiDiemCapNhat.replace(/\.\d{3}/, ''));
      expect(d.ThoiDiemCapNhat).toMatch(/^2026-03-02T08:05:\d{2}\.\d{3}\+07:00$/);
      const issued = d.TrangThai === 'DA_CAP_GCN' || d.TrangThai === 'DA_TRA_KET_QUA';
      expect(d.KetQua.length > 0).toBe(issued);
      if (d.NgayTiepNhan === undefined) expect(d.LichSuXuLy.map((b) => b.TrangThai)).toEqual(['TU_CHOI']); // refused online before reception
      else expect(d.LichSuXuLy[0]).toMatchObject({ NoiDung: 'Tiếp nhận hồ sơ', TrangThai: 'DA_TIEP_NHAN', ThoiDiem: d.NgayTiepNhan });
      if (d.LoaiHoSo.startsWith('DN_')) {
        expect(d.CoQuanTiepNhan).toEqual({ MaDinhDanh: '000.00.05.H56', Ten: 'Phòng Đăng ký kinh doanh - Sở Tài chính' });
        expect(d.HoKinhDoanh).toBeUndefined();
        const code = d.DoanhNghiep!.MaSoDoanhNghiep;
        if (d.LoaiHoSo === 'DN_THAY_DOI' || issued) expect(code).toMatch(/^\d{10}$/);
        else expect(code).toBeUndefined();
      } else {
        expect(d.CoQuanTiepNhan.MaDinhDanh).toMatch(/^000\.00\.\d{2}\.H56$/);
        expect(d.DoanhNghiep).toBeUndefined();
        if (d.NgayTiepNhan) expect(d.HoKinhDoanh!.MaSoHKD).toMatch(/^38[A-Z]8\d{6}$/);
      }
      expect(d.NguoiNop.SoDinhDanh).toMatch(/^\d{12}$/);
      for (const fee of d.LePhi) expect(Number.isInteger(fee.SoTien)).toBe(true);
    }
    const statuses = new Set(all.map((d) => d.TrangThai));
    expect(statuses).toEqual(new Set(['DA_CAP_GCN', 'DA_TRA_KET_QUA', 'TU_CHOI', 'RUT_HO_SO', 'DUNG_XU_LY']));
    expect(all.some((d) => d.LichSuXuLy.some((b) => b.TrangThai === 'YEU_CAU_BO_SUNG'))).toBe(true);
    expect(new Set(all.map((d) => d.LoaiHoSo))).toEqual(new Set(['DN_DANG_KY_MOI', 'DN_THAY_DOI', 'HKD_DANG_KY_MOI', 'HKD_THAY_DOI', 'HKD_CHAM_DUT']));
    expect(all.filter((d) => d.NguoiNop.SoDinhDanh.startsWith('0')).length).toBeGreaterThan(150);
    expect(all.filter((d) => d.DoanhNghiep?.MaSoDoanhNghiep?.startsWith('0')).length).toBeGreaterThan(5);
    // Batches: several dossiers share one ThoiDiemCapNhat to the millisecond.
    const perStamp = new Map<string, number>();
    for (const d of all) perStamp.set(d.ThoiDiemCapNhat, (perStamp.get(d.ThoiDiemCapNhat) ?? 0) + 1);
    expect([...perStamp.values()].filter((n) => n > 1).length).toBeGreaterThan(3);
  });

  it('leaves dossiers open when asked, online ones not yet received as DA_NOP', async () => {
    const sim = createBusinessSimulator({ now: manualClock(T0).now, seed: 2 });
    await sim.generator.run({ count: 60, durationMs: 0, seed: 2, changes: [0, 0], pendingShare: 1 });
    const all = sim.state.dossiers();
    const pending = all.filter((d) => d.TrangThai === 'DA_NOP');
    expect(pending.length).toBeGreaterThan(10);
    for (const d of pending) {
      expect(d).toMatchObject({ KenhNop: 'TRUC_TUYEN', LichSuXuLy: [], KetQua: [] });
      expect(d.NgayTiepNhan).toBeUndefined();
      expect(d.NgayNop).toBe('2026-03-02T08:05:10+07:00');
    }
    expect(all.every((d) => d.TrangThai === 'DA_NOP' || d.TrangThai === 'DA_TIEP_NHAN')).toBe(true);
  });

  it('uses mapped local codes and, on the configured share, the unmapped one', async () => {
    const sim = createBusinessSimulator({ now: manualClock(T0).now, seed: 5 });
    await sim.generator.run({ count: 300, durationMs: 0, seed: 5 });
    const codes = sim.state.dossiers().map((d) => d.MaTTHC);
    const unmapped = codes.filter((c) => !sim.state.isMapped(c));
    expect(unmapped.every((c) => BUSINESS_UNMAPPED_CODES.includes(c))).toBe(true);
    expect(codes.filter((c) => sim.state.isMapped(c)).every((c) => c in BUSINESS_PROCEDURES)).toBe(true);
    expect(unmapped.length).toBeGreaterThan(10);
    expect(unmapped.length).toBeLessThan(45);
    const all = createBusinessSimulator({ seed: 5 });
    await all.generator.run({ count: 20, durationMs: 0, seed: 5, unmappedShare: 1 });
    expect(all.state.dossiers().every((d) => d.MaTTHC === 'DN-CN01' && d.LoaiHoSo === 'DN_THAY_DOI')).toBe(true);
  });

  it('advances a dossier one planned change at a time, stamping ThoiDiemCapNhat and due dates', async () => {
    const clock = manualClock(T0);
    const sim = createBusinessSimulator({ now: clock.now, seed: 4 });
    const code = sim.generator.create({ changes: [3, 3], pendingShare: 0, unmappedShare: 0 });
    const created = sim.state.dossier(code)!;
    expect(created.NgayHenTra).toBe('2026-03-05T17:00:00+07:00'); // Monday -> Thursday, 3 working days
    expect(sim.generator.pendingSteps(code)).toHaveLength(3);
    clock.advance(65_123);
    expect(sim.generator.advance(code)).toBeDefined();
    expect(sim.state.dossier(code)!.ThoiDiemCapNhat).toBe('2026-03-02T08:06:15.123+07:00');
    sim.generator.advance(code);
    sim.generator.advance(code);
    expect(sim.generator.advance(code)).toBeUndefined();
    expect(sim.state.dossier(code)!.LichSuXuLy).toHaveLength(4);
    clock.set('2026-03-06T09:00:00Z'); // Friday
    const friday = sim.state.dossier(sim.generator.create({ changes: [0, 0], pendingShare: 0 }))!;
    expect(friday.NgayHenTra).toBe('2026-03-11T17:00:00+07:00'); // the weekend does not count
  });

  it('keeps running in continuous mode until stopped', async () => {
    const sim = createBusinessSimulator({ seed: 8 });
    sim.generator.start({ newPerMinute: 6000, lifetimeMs: 50 });
    await new Promise((r) => setTimeout(r, 150));
    sim.generator.stop();
    const made = sim.state.dossiers().length;
    expect(made).toBeGreaterThan(2);
    await new Promise((r) => setTimeout(r, 60));
    expect(sim.state.dossiers().length).toBe(made);
    expect(sim.generator.isRunning()).toBe(false);
  });
});

describe('business-registration: the gateway reads it', () => {
  const configFor = (url: string, over: Partial<BusinessSourceConfig> = {}): BusinessSourceConfig => ({
    enabled: true,
    procedureMap: { ...BUSINESS_PROCEDURES },
    baseUrl: url,
    username: SANDBOX_BUSINESS_CREDENTIALS.username,
    password: SANDBOX_BUSINESS_CREDENTIALS.password,
    pollIntervalSeconds: 1,
    overlapSeconds: 30,
    startFrom: '2026-03-02T08:00:00+07:00',
    pageSize: 7,
    requestsPerSecond: 1000,
    timeoutMs: 5_000,
    ...over,
  });

  function context() {
    let cursor: unknown = null;
    const accepted: RawRecord[] = [];
    const rejected: string[] = [];
    const markers = new Map<string, string>();
    const ctx: PollContext = {
      fetch,
      now: () => Date.parse(T0),
      logger: silentLogger,
      loadCursor: async () => cursor,
      saveCursor: async (c) => {
        cursor = c;
      },
      lastMarker: async (id) => markers.get(id),
      reject: async (_body, code) => {
        rejected.push(code);
      },
      accept: async (r) => {
        accepted.push(r);
        markers.set(r.externalId, r.marker!);
      },
    };
    return { ctx, accepted, rejected };
  }

  /** What the gateway makes of one stored record, checked against the simulator's truth. */
  function expectReadable(body: string, truth: BusinessDossier) {
    expect(wireDossier.safeParse((soapParser.parse(body)['HoSo'] as unknown[])[0]).success).toBe(true);
    const mapped = toBusinessDossier(body);
    expect(dossierDraft.omit({ version: true }).safeParse(mapped).success).toBe(true);
    expect(mapped.sourceCode).toBe(truth.MaHoSo);
    expect(mapped.status).toBe(BUSINESS_STATUS[truth.TrangThai]);
    expect(mapped.applicant).toMatchObject({ kind: 'CITIZEN', name: truth.NguoiNop.HoTen.normalize('NFC'), ids: [{ type: 'CCCD', value: truth.NguoiNop.SoDinhDanh }] });
    const ownerName = truth.DoanhNghiep?.TenTiengViet ?? truth.HoKinhDoanh!.TenHoKinhDoanh;
    const ownerCode = truth.DoanhNghiep?.MaSoDoanhNghiep ?? truth.HoKinhDoanh?.MaSoHKD;
    expect(mapped.owner).toEqual({
      kind: truth.DoanhNghiep ? 'ENTERPRISE' : 'HOUSEHOLD_BUSINESS',
      name: ownerName,
      ids: ownerCode ? [{ type: truth.DoanhNghiep ? 'MSDN' : 'MSHKD', value: ownerCode }] : [],
    });
    expect(mapped.events).toHaveLength(truth.LichSuXuLy.length);
    expect(mapped.results).toHaveLength(truth.KetQua.length);
    expect(mapped.fees.map((f) => f.amountVnd)).toEqual(truth.LePhi.map((f) => f.SoTien));
    expect(mapped.receivedAt).toBe(truth.NgayTiepNhan);
  }

  it('polls every generated dossier, paging through ties under rotating prefixes, and maps each one', async () => {
    let t = Date.parse(T0);
    const sim = createBusinessSimulator({ now: () => (t += 3), seed: 11, rateLimitPerSecond: 0, prefixes: 'rotate', ncrShare: 0.5 });
    const { url } = await serveForTest(sim);
    await sim.generator.run({ count: 150, durationMs: 0, seed: 11, changes: [0, 4], finish: false, batchShare: 0.3, quirks: { nfd: 0.3, specialChars: 0.5 } });
    const poller = createBusinessPoller(configFor(url));
    const { ctx, accepted } = context();
    const report = await poller.poll(ctx);
    const truth = new Map(sim.state.dossiers().map((d) => [d.MaHoSo, d]));
    expect(new Set(accepted.map((r) => r.externalId))).toEqual(new Set(truth.keys()));
    expect(report.accepted).toBe(150);
    for (const record of accepted) {
      const d = truth.get(record.externalId)!;
      expect(record.sourceTime).toBe(d.ThoiDiemCapNhat);
      expectReadable(record.body, d);
    }
    expect(accepted.some((r) => /&#\d+;/.test(r.body))).toBe(true);
    expect(accepted.some((r) => r.body.includes('&amp;'))).toBe(true);
    expect(accepted.some((r) => r.body.includes('<ns2:HoSo>')) && accepted.some((r) => r.body.startsWith('<HoSo>'))).toBe(true);

    // Officials keep working: the next poll brings every changed dossier; the others it lists again
    // are re-accepted only because rotation wrote them with other prefixes (the gateway hashes the raw text).
    const changed = sim.state.dossiers().slice(0, 15).map((d) => d.MaHoSo);
    for (const code of changed) sim.state.update(code, (d) => d.TaiLieu.push({ Ten: 'Bản sao hợp đồng thuê địa điểm', DuongDan: 'https://dkkd.example/f/90001' }));
    for (let i = 0; i < 5; i++) changed.push(sim.generator.create());
    const before = new Map(accepted.map((r) => [r.externalId, r.body]));
    await poller.poll(ctx);
    const next = accepted.slice(before.size);
    expect(next.map((r) => r.externalId)).toEqual(expect.arrayContaining(changed));
    const unprefixed = (xml: string) => xml.replace(/<(\/?)ns2:/g, '<$1');
    for (const record of next) {
      expectReadable(record.body, sim.state.dossier(record.externalId)!);
      if (!changed.includes(record.externalId)) expect(unprefixed(record.body)).toBe(unprefixed(before.get(record.externalId)!));
    }
  });

  it('counts and fetches single dossiers with the gateway client', async () => {
    const { sim, url } = await setup({ ncrShare: 1 });
    await sim.generator.run({ count: 40, durationMs: 0, seed: 12 });
    const client = createBusinessClient(configFor(url));
    const received = sim.state.dossiers().filter((d) => d.NgayTiepNhan !== undefined).length;
    expect(await client.count('2026-03-01', '2026-03-31')).toBe(received);
    for (const d of sim.state.dossiers()) {
      const body = await client.get(d.MaHoSo);
      expect(body).toBe(sim.state.xml(d.MaHoSo));
      expectReadable(body!, d);
    }
    expect(await client.get('HKD-H56-2603-99999')).toBeNull();
  });

  it('retries through both kinds of 5xx, and stops on bad credentials', async () => {
    const { sim, url } = await setup({ faults: { rate: 1, seed: 2, kinds: ['5xx'], max: 2 } });
    await sim.generator.run({ count: 10, durationMs: 0, seed: 13 });
    const { ctx, accepted } = context();
    const statuses: number[] = [];
    ctx.fetch = async (input, init) => {
      const res = await fetch(input, init);
      statuses.push(res.status);
      return res;
    };
    await createBusinessPoller(configFor(url)).poll(ctx);
    expect(accepted).toHaveLength(10);
    expect(statuses).toEqual([500, 503, 200, 200, 200]); // a soap:Server fault, then an HTML 503, both retried
    const wrong = createBusinessClient(configFor(url, { password: 'wrong' }));
    await expect(wrong.count('2026-03-01', '2026-03-31')).rejects.toMatchObject({ errorClass: 'configuration', code: 'BUSINESS_XAC_THUC_THAT_BAI' });
    await expect(wrong.count('2026-03-01', '2026-03-31')).rejects.toBeInstanceOf(GatewayError);
  });

  it('sees every hostile answer refused fast, without expanding it', async () => {
    const { sim, url } = await setup();
    sim.state.put(household());
    const client = createBusinessClient(configFor(url));
    for (const kind of HOSTILE_KINDS) {
      sim.setHostile(kind);
      const started = performance.now();
      await expect(client.call('LayDanhSachHoSoThayDoi', { TuThoiDiem: '2026-03-02T08:00:00+07:00', Trang: 1, KichThuocTrang: 100 })).rejects.toBeInstanceOf(XmlRefusedError);
      expect(performance.now() - started).toBeLessThan(3000);
    }
    sim.setHostile('billion-laughs');
    const { ctx, accepted, rejected } = context();
    await expect(createBusinessPoller(configFor(url)).poll(ctx)).rejects.toBeInstanceOf(XmlRefusedError);
    expect([accepted, rejected]).toEqual([[], ['XML_REFUSED']]);
  });
});
