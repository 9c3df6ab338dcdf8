import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dossierDraft } from '../../contracts';
import { GatewayError } from '../../src/lib/errors';
import { XmlRefusedError } from '../../src/lib/xml';
import { toBusinessDossier } from './map';
import { envelope, readSoapResponse, sliceDossiers } from './soap';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('business-registration SOAP', () => {
  it('reads answers by local name whatever the prefixes, and slices each <HoSo> as received', () => {
    for (const name of ['business-household-page.xml', 'business-single-enterprise.xml']) {
      const xml = fixture(name);
      const response = readSoapResponse(xml, 'LayDanhSachHoSoThayDoi');
      expect(response['TongSoTrang']).toMatch(/^\d$/);
      const slices = sliceDossiers(xml);
      expect(slices).toHaveLength(1);
      expect(xml).toContain(slices[0]);
    }
  });

  it('classifies faults: soap:Server transient, bad credentials configuration', () => {
    const err = (() => {
      try {
        readSoapResponse(fixture('business-fault.xml'), 'LayDanhSachHoSoThayDoi');
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ errorClass: 'transient', code: 'BUSINESS_HE_THONG_BAN' });
    const auth = '<s:Envelope xmlns:s="x"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>XAC_THUC_THAT_BAI: sai mật khẩu</faultstring></s:Fault></s:Body></s:Envelope>';
    expect(() => readSoapResponse(auth, 'LayHoSo')).toThrow(expect.objectContaining({ errorClass: 'configuration' }));
  });

  it('refuses a DOCTYPE or entity declaration before parsing', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Envelope><Body>&lol2;</Body></Envelope>';
    expect(() => readSoapResponse(laughs, 'LayHoSo')).toThrow(XmlRefusedError);
  });

  it('puts the WS-Security UsernameToken in the header and escapes values', () => {
    const xml = envelope('LayHoSo', { MaHoSo: 'A&B' }, { username: 'lienthong-h56', password: 'p<w>' });
    expect(xml).toContain('<wsse:Username>lienthong-h56</wsse:Username><wsse:Password>p&lt;w&gt;</wsse:Password>');
    expect(xml).toContain('<dk:MaHoSo>A&amp;B</dk:MaHoSo>');
  });
});

describe('business-registration mapping', () => {
  it('maps the household business of the spec', () => {
    const d = toBusinessDossier(sliceDossiers(fixture('business-household-page.xml'))[0]!);
    expect(d.source).toEqual({ system: 'business-registration', externalId: 'HKD-H56-2603-00981' });
    expect(d.owner).toEqual({ kind: 'HOUSEHOLD_BUSINESS', name: 'Tạp hóa Lan Anh', ids: [{ type: 'MSHKD', value: '38H8001234' }] });
    expect(d.applicant).toMatchObject({ kind: 'CITIZEN', name: 'Đỗ Thị Lan', ids: [{ type: 'CCCD', value: '038192001122' }], phone: '0903111222' });
    expect(d.receivingAgency).toEqual({ code: '000.00.16.H56', name: 'UBND xã Quảng Phú' });
    expect(d.channel).toBe('ONLINE');
    expect(d.submittedAt).toBe('2026-03-01T21:14:00+07:00');
    expect(d.status).toBe('IN_PROGRESS');
    expect(d.fees).toEqual([{ name: 'Lệ phí đăng ký hộ kinh doanh', amountVnd: 100000, paidOnline: true }]);
    expect(d.events.map((e) => [e.at, e.status])).toEqual([
      ['2026-03-02T07:45:00+07:00', 'ACCEPTED'],
      ['2026-03-02T09:30:12+07:00', 'IN_PROGRESS'],
    ]);
    expect(d.documents).toEqual([{ name: 'Giấy đề nghị đăng ký hộ kinh doanh', url: 'https://dkkd.example/f/77120', digitized: true }]);
    if (d.sector.kind !== 'business-registration') throw new Error('sector');
    expect(d.sector.household).toEqual({ name: 'Tạp hóa Lan Anh', code: '38H8001234', trade: 'Bán lẻ lương thực, thực phẩm', capitalVnd: 150000000 });
  });

  it('maps the enterprise sample: entities and numeric references decoded, tax code kept with its leading zero', () => {
    const d = toBusinessDossier(sliceDossiers(fixture('business-single-enterprise.xml'))[0]!);
    expect(d.owner).toEqual({ kind: 'ENTERPRISE', name: 'Công ty TNHH Thương mại & Dịch vụ Sông Mã', ids: [{ type: 'MSDN', value: '0801234567' }] });
    expect(d.applicant.name).toBe('Trịnh Văn Khải');
    expect(d.status).toBe('RESULT_READY');
    expect(d.results).toEqual([{ name: 'Giấy chứng nhận đăng ký doanh nghiệp', url: 'https://dkkd.example/f/80090' }]);
    expect(d.fees).toEqual([{ name: 'Lệ phí đăng ký doanh nghiệp', amountVnd: 0, paidOnline: false }]);
    expect(dossierDraft.omit({ version: true }).safeParse(d).success).toBe(true);
  });

  it('refuses a dossier it cannot read, naming the field', () => {
    const xml = sliceDossiers(fixture('business-single-enterprise.xml'))[0]!;
    expect(() => toBusinessDossier(xml.replace('DA_CAP_GCN</TrangThai>\n   <ThoiDiem', 'DA_XONG</TrangThai>\n   <ThoiDiem'))).toThrow(/DA_XONG/);
    expect(() => toBusinessDossier(xml.replace(/<DoanhNghiep>[\s\S]*<\/DoanhNghiep>/, ''))).toThrow(/DoanhNghiep/);
    expect(() => toBusinessDossier(xml.replace('<SoTien>0</SoTien>', '<SoTien>1.5</SoTien>'))).toThrow(/SoTien/);
    expect(() => toBusinessDossier(xml.replace(' MaDinhDanh="000.00.05.H56"', ''))).toThrow(/MaDinhDanh/);
  });
});
