import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dossierDraft } from '../../contracts';
import { MappingError } from '../../src/lib/errors';
import { XmlRefusedError } from '../../src/lib/xml';
import { parseRecord, toSourceDossier } from './map';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('civil-status mapping', () => {
  it('maps the birth example of the spec', () => {
    const d = toSourceDossier(fixture('civil-status-birth.json'));
    expect(d.source).toEqual({ system: 'civil-status', externalId: 'HT-380-2603-000117' });
    expect(d.procedure).toEqual({ localCode: 'KS-01' });
    expect(d.status).toBe('RESULT_READY');
    expect(d.rawStatus).toEqual({ system: 'civil-status', value: '4' });
    expect(d.channel).toBe('ONLINE');
    expect(d.receivedAt).toBe('2026-03-02T08:05:10+07:00');
    expect(d.dueAt).toBe('2026-03-02T17:00:00+07:00');
    expect(d.applicant).toMatchObject({ kind: 'CITIZEN', name: 'Trần Văn Hùng', ids: [{ type: 'CCCD', value: '038088009876' }], phone: '0987654321' });
    expect(d.owner).toMatchObject({ kind: 'CITIZEN', name: 'Trần Gia Bảo', ids: [] });
    expect(d.summary).toBe('Đăng ký khai sinh cho Trần Gia Bảo');
    expect(d.events.map((e) => [e.at, e.status, e.content])).toEqual([
      ['2026-03-02T08:05:10+07:00', 'IN_PROGRESS', 'Tiếp nhận hồ sơ'],
      ['2026-03-02T10:41:00+07:00', 'RESULT_READY', 'Đã đăng ký khai sinh'],
    ]);
    expect(d.events[0]).toMatchObject({ actor: 'Phạm Thu Trang', actorTitle: 'Công chức tư pháp - hộ tịch', department: 'UBND xã Quảng Phú' });
    expect(d.results).toEqual([{ name: 'Giấy khai sinh', url: 'https://hotich.example/files/55188', resultCode: '117/2026' }]);
    expect(d.documents).toEqual([{ name: 'to-khai-khai-sinh.pdf', url: 'https://hotich.example/files/55120', digitized: true }]);
    expect(d.sector).toMatchObject({ kind: 'civil-status', module: 'LTKS', resultNumber: '117/2026' });
    if (d.sector.kind !== 'civil-status') throw new Error('sector');
    expect(d.sector.record['meSoDinhDanh']).toBe('038190004567');
    expect(d.sector.record['nksNgaySinh']).toBe('20260225');
  });

  it('decodes numeric character references and keeps unknown elements (death sample)', () => {
    const d = toSourceDossier(fixture('civil-status-death.json'));
    expect(d.owner).toMatchObject({ name: 'Ngô Văn Thọ', ids: [{ type: 'CCCD', value: '038040000215' }] });
    expect(d.summary).toBe('Đăng ký khai tử cho Ngô Văn Thọ');
    expect(d.status).toBe('AWAITING_SUPPLEMENT');
    expect(d.pauses).toEqual([{ kind: 'SUPPLEMENT', requestedAt: '2026-03-03T16:02:31+07:00', note: 'Yêu cầu bổ sung giấy báo tử' }]);
    if (d.sector.kind !== 'civil-status') throw new Error('sector');
    expect(d.sector.linkedCode).toBe('LT-2603-55512');
    expect(d.sector.record).toHaveProperty('ghiChuKhac', '');
  });

  it('makes both spouses the owner of a marriage, the husband first (marriage sample)', () => {
    const d = toSourceDossier(fixture('civil-status-marriage.json'));
    expect(d.owner.name).toBe('Bùi Quang Huy - Lương Thị Ngọc Ánh');
    expect(d.owner.ids.map((i) => i.value)).toEqual(['038098004411', '038300002277']);
    expect(d.summary).toBe('Đăng ký kết hôn Bùi Quang Huy - Lương Thị Ngọc Ánh');
    expect(d.fees).toEqual([]);
  });

  it('stores NFC text, keeps a dossier not yet received without a reception time, and reads codes sent as strings', () => {
    const d = toSourceDossier(fixture('civil-status-online-pending.json'));
    expect(d.owner.name).toBe('Nguyễn Thị Ánh'.normalize('NFC'));
    expect(d.owner.name).not.toBe('Nguyễn Thị Ánh'.normalize('NFD'));
    expect(d.receivingAgency.name).toBe('UBND xã Quảng Phú');
    expect(d.receivedAt).toBeUndefined();
    expect(d.status).toBe('SUBMITTED');
    expect(d.applicant.ids).toEqual([{ type: 'CCCD', value: '001089012345' }]);
    expect(d.documents).toEqual([{ name: 'to-khai.pdf', digitized: false }]);
    if (d.sector.kind !== 'civil-status') throw new Error('sector');
    expect(d.sector.record['truongMoi']).toBe('giá trị & ghi chú');
  });

  it('produces drafts that pass the contract for every fixture, deterministically', () => {
    for (const name of ['civil-status-birth.json', 'civil-status-death.json', 'civil-status-marriage.json', 'civil-status-online-pending.json']) {
      const body = fixture(name);
      const d = toSourceDossier(body);
      expect(dossierDraft.omit({ version: true }).safeParse(d).success, name).toBe(true);
      expect(toSourceDossier(body)).toEqual(d);
    }
  });

  it('refuses bad records with a typed reason', () => {
    const base = JSON.parse(fixture('civil-status-birth.json'));
    expect(() => toSourceDossier('{not json')).toThrow(MappingError);
    expect(() => toSourceDossier(JSON.stringify({ ...base, trangThai: 5 }))).toThrow(/trangThai 5/);
    expect(() => toSourceDossier(JSON.stringify({ ...base, kenhNop: 7 }))).toThrow(/kenhNop/);
    expect(() => toSourceDossier(JSON.stringify({ ...base, data: '<hoTich><nksHoTen>x</nksHoTen></hoTich>' }))).toThrow(/nycHoTen/);
    expect(() => toSourceDossier(JSON.stringify({ ...base, ngayTiepNhan: '2026-03-02 08:05' }))).toThrow(/dd\/MM\/yyyy/);
    const xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><hoTich><nycHoTen>&e;</nycHoTen></hoTich>';
    expect(() => toSourceDossier(JSON.stringify({ ...base, data: xxe }))).toThrow(XmlRefusedError);
  });

  it('keeps identifiers as strings with their leading zeros', () => {
    expect(parseRecord('<hoTich><a>0012</a><b>000</b></hoTich>')).toEqual({ a: '0012', b: '000' });
  });
});
