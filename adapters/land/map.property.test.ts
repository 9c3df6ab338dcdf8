import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LAND_EVENTS, type LandEvent } from '../../contracts';
import { instantMs } from '../../src/lib/time';
import { attempt, expectTyped, leadingZeroId, nonNfc, runs, sourceDossier, vietnamese } from '../../test/hostile/arbitraries';
import { LAND_FIXTURES, landBodyFor } from '../../test/hostile/land-bodies';
import { foldLand, toLandFragment, type LandFragment } from './map';

/**
 * Whatever the land system pushes, a callback either becomes a fragment whose fold is a valid
 * dossier, or is refused with a typed error that names the problem. A fragment once accepted must
 * fold without throwing: the fold runs again at every later event, so a throw there would stall
 * the dossier for good instead of refusing one record.
 */
const office = { code: '000.00.20.H56', name: 'Văn phòng đăng ký đất đai' };
const reception = toLandFragment('TiepNhanHoSo', JSON.stringify(LAND_FIXTURES.TiepNhanHoSo)).fragment;
const oldestFirst = (f: LandFragment[]) => [...f].sort((a, b) => instantMs(a.at) - instantMs(b.at));

describe('land callbacks under hostile and random input', () => {
  it.each(LAND_EVENTS)('%s: a body maps to a fragment that folds into a valid dossier, or is refused with a typed error', (event) => {
    let mapped = 0;
    fc.assert(
      fc.property(landBodyFor(event), (body) => {
        const r = attempt(() => toLandFragment(event, body));
        if (!r.ok) return;
        mapped++;
        const { externalId, sourceTime, fragment } = r.value;
        expect(externalId).toBe(externalId.trim());
        expect(externalId.length).toBeGreaterThan(0);
        expect(sourceTime).toBe(fragment.at);
        expect(() => instantMs(fragment.at)).not.toThrow();
        expect(nonNfc(r.value)).toEqual([]);
        expect(toLandFragment(event, body)).toEqual(r.value);

        const fragments = oldestFirst(event === 'TiepNhanHoSo' ? [fragment] : [reception, fragment]);
        const dossier = foldLand(fragments, office);
        const check = sourceDossier.safeParse(dossier);
        expect(check.success, check.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toBe(true);
        expect(nonNfc(dossier)).toEqual([]);
        expect(foldLand(fragments, office)).toEqual(dossier);
        // The engine folds fragments read back from the database: the same dossier must come out.
        expect(foldLand(JSON.parse(JSON.stringify(fragments)) as LandFragment[], office)).toEqual(dossier);
        if (event !== 'TiepNhanHoSo') expect(foldLand([fragment], office)).toBeNull();
      }),
      runs(),
    );
    // The mutations must leave enough records readable for the fold to be exercised at all.
    expect(mapped).toBeGreaterThan(20);
  });

  it('refuses any event name but the six with UNKNOWN_EVENT', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom(...LAND_EVENTS).map((e) => e.toLowerCase()), vietnamese), (event) => {
        fc.pre(!(LAND_EVENTS as readonly string[]).includes(event));
        try {
          toLandFragment(event, JSON.stringify(LAND_FIXTURES.ChuyenHoSo));
          expect.unreachable('an unknown event was accepted');
        } catch (err) {
          expectTyped(err);
          expect(err.code).toBe('UNKNOWN_EVENT');
        }
      }),
      runs(),
    );
  });

  it('keeps identifiers with leading zeros as the strings sent, and gives NFC text for NFC or NFD input', () => {
    const unit = fc.stringMatching(/^0\d{1,5}$/);
    fc.assert(
      fc.property(leadingZeroId, vietnamese, vietnamese, vietnamese, unit, unit, fc.stringMatching(/^0\d{1,4}$/), (id, name, procedure, address, province, commune, parcel) => {
        const body = {
          ...LAND_FIXTURES.TiepNhanHoSo,
          TinhId: province,
          XaId: commune,
          DiaChiTaiSan: address,
          ThongTinNguoiNopDon: { HoTen: name, SoChungMinh: id },
          ThongTinQuyTrinh: { MaQuyTrinh: 'TACH-THUA', TenQuyTrinh: procedure },
          ThongTinThuaDat: [{ SoThuTuThua: parcel, SoHieuBanDo: '05', DienTich: '12.5' }],
        };
        const d = foldLand([toLandFragment('TiepNhanHoSo', JSON.stringify(body)).fragment], office)!;
        expect(d.applicant.ids).toEqual([{ type: id.length === 12 ? 'CCCD' : id.length === 9 ? 'CMND' : 'OTHER', value: id }]);
        expect(d.applicant.name).toBe(name.normalize('NFC'));
        expect(d.summary).toBe(`${procedure.normalize('NFC')} - thửa ${parcel} tờ 05`);
        if (d.sector.kind !== 'land') throw new Error('sector');
        expect(d.sector.adminUnit).toMatchObject({ province, commune });
        expect(d.sector.parcels).toEqual([{ parcelNumber: parcel, mapSheet: '05', areaM2: 12.5 }]);
        expect(d.sector.assetAddress).toBe(address.normalize('NFC'));
        expect(nonNfc(d)).toEqual([]);
      }),
      runs(),
    );
  });
});
