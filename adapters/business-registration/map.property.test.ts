import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attempt,
  editText,
  encodeText,
  leadingZeroId,
  mutations,
  mutate,
  nonNfc,
  runs,
  sourceDossier,
  textEdits,
  toXml,
  vietnamese,
  xmlEncoding,
} from '../../test/hostile/arbitraries';
import { GatewayError } from '../../src/lib/errors';
import { instantMs } from '../../src/lib/time';
import { readListPage, readListPiecewise } from './list';
import { toBusinessDossier } from './map';
import { readSoapResponse, sliceDossiers, soapParser } from './soap';

/**
 * SOAP answers of the business registration service, from the recorded ones broken in every way:
 * an answer is read or refused with a typed error, each `<HoSo>` maps to a valid dossier or is
 * refused with a typed error, and the slices kept as records are exactly the listed dossiers.
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const answers = [fixture('business-household-page.xml'), fixture('business-single-enterprise.xml'), readFileSync('/work/shared/spec/samples/business-single-enterprise.xml', 'utf8')];
const bases = answers.flatMap((xml) => sliceDossiers(xml)).map((slice) => (soapParser.parse(slice)['HoSo'] as unknown[])[0] as Record<string, unknown>);

/** The parser decodes entities at only one to three megabytes a second: fewer cases keep each property fast. */
const XML_RUNS = 200;

const validate = (d: unknown) => {
  const check = sourceDossier.safeParse(d);
  expect(check.success, check.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toBe(true);
};

const prefix = fc.constantFrom('', '', 'ns2', 'dk', 'a-b.c');
const hoso = fc
  .tuple(fc.nat(bases.length - 1), mutations(), prefix, xmlEncoding, textEdits(2), fc.nat(9))
  .map(([i, ms, p, encoding, edits, damage]) => {
    const xml = toXml('HoSo', mutate(bases[i], ms), { prefix: p, encoding });
    return damage === 0 ? editText(xml, edits) : xml;
  });

/** A change list answer around some dossiers, with decoys a naive reader would take for elements. */
const answer = fc
  .tuple(fc.array(hoso, { maxLength: 3 }), fc.constantFrom('s', 'soap', 'SOAP-ENV'), fc.constantFrom('', 'ns2:'), fc.boolean())
  .map(([dossiers, s, p, decoys]) => {
    const decoy = decoys ? '<!-- <HoSo> --><?pi <HoSo>?>' : '';
    return (
      `<?xml version="1.0" encoding="utf-8"?><${s}:Envelope xmlns:${s}="http://schemas.xmlsoap.org/soap/envelope/"><${s}:Body>` +
      `<${p}LayDanhSachHoSoThayDoiResponse xmlns${p ? `:${p.slice(0, -1)}` : ''}="http://dangkykinhdoanh.gov.vn/ws">${decoy}` +
      `<${p}TongSoTrang>1</${p}TongSoTrang><${p}Trang>1</${p}Trang><${p}DanhSachHoSo>${decoy}${dossiers.join(decoy)}</${p}DanhSachHoSo>` +
      `</${p}LayDanhSachHoSoThayDoiResponse></${s}:Body></${s}:Envelope>`
    );
  });

describe('business-registration under hostile and random input', () => {
  it('maps a <HoSo> to a valid dossier, or refuses it with a typed error; twice gives the same dossier', () => {
    let mapped = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: hoso, weight: 8 }, { arbitrary: fc.string(), weight: 1 }, { arbitrary: fc.string({ unit: 'binary' }), weight: 1 }), (xml) => {
        const r = attempt(() => toBusinessDossier(xml));
        if (!r.ok) return;
        mapped++;
        validate(r.value);
        expect(nonNfc(r.value)).toEqual([]);
        expect(toBusinessDossier(xml)).toEqual(r.value);
        expect(JSON.parse(JSON.stringify(r.value))).toEqual(r.value);
      }),
      runs(XML_RUNS),
    );
    expect(mapped).toBeGreaterThan(20);
  });

  it('reads a change list answer or refuses it with a typed error, and slices exactly the listed dossiers', () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: answer, weight: 6 }, { arbitrary: fc.tuple(fc.constantFrom(...answers), textEdits()).map(([a, es]) => editText(a, es)), weight: 3 }, { arbitrary: fc.string(), weight: 1 }), (xml) => {
        const r = attempt(() => readSoapResponse(xml, 'LayDanhSachHoSoThayDoi'));
        if (!r.ok) {
          // Refused whole: read piecewise only when the page around its dossiers is readable.
          const piecewise = readListPiecewise(xml);
          if (piecewise) for (const entry of piecewise.entries) expect(xml).toContain(entry.xml);
          return;
        }
        expect(typeof r.value).toBe('object');
        expect(Array.isArray(r.value)).toBe(false);
        const page = attempt(() => readListPage(xml, r.value));
        if (!page.ok) {
          expect(page.error).toBeInstanceOf(GatewayError);
          return;
        }
        const slices = sliceDossiers(xml);
        expect(page.value.entries.map((e) => e.xml)).toEqual(slices);
        for (const entry of page.value.entries) {
          expect(xml).toContain(entry.xml);
          if (!entry.readable) {
            expect(entry.reason).not.toBe('');
            continue;
          }
          expect(() => instantMs(entry.atIso)).not.toThrow();
          const d = attempt(() => toBusinessDossier(entry.xml));
          if (d.ok) expect(d.value.source.externalId).toBe(entry.id.normalize('NFC'));
        }
      }),
      runs(XML_RUNS),
    );
  });

  it('slices any text without throwing, each slice a <HoSo> element found in it', () => {
    fc.assert(
      fc.property(fc.oneof(answer, fc.string(), fc.tuple(answer, textEdits(4)).map(([a, es]) => editText(a, es))), (xml) => {
        for (const slice of sliceDossiers(xml)) {
          expect(xml).toContain(slice);
          expect(slice).toMatch(/^<([\w.-]+:)?HoSo[\s/>][\s\S]*>$/);
        }
      }),
      runs(),
    );
  });

  it('keeps codes with leading zeros as sent and gives NFC names, written literally, as references or in CDATA', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^0\d{9}$/), leadingZeroId, vietnamese, vietnamese, xmlEncoding, (code, id, company, person, encoding) => {
        const base = bases.find((b) => String(b['LoaiHoSo']).startsWith('DN_'))!;
        const record = {
          ...base,
          NguoiNop: { HoTen: person, SoDinhDanh: id },
          DoanhNghiep: { TenTiengViet: company, MaSoDoanhNghiep: code, LoaiHinh: 'TNHH_MTV' },
        };
        const d = toBusinessDossier(toXml('HoSo', record, { prefix: 'ns2', encoding }));
        expect(d.owner).toEqual({ kind: 'ENTERPRISE', name: company.normalize('NFC'), ids: [{ type: 'MSDN', value: code }] });
        expect(d.applicant.name).toBe(person.normalize('NFC'));
        expect(d.applicant.ids.map((i) => i.value)).toEqual([id]);
        if (d.sector.kind !== 'business-registration') throw new Error('sector');
        expect(d.sector.enterprise?.code).toBe(code);
        expect(nonNfc(d)).toEqual([]);
        // The same text as numeric references decodes to the same dossier.
        expect(toBusinessDossier(toXml('HoSo', record, { encoding: 'numeric' }))).toEqual(d);
      }),
      runs(),
    );
    expect(encodeText('Khải', 'numeric')).toBe('Kh&#7843;i');
  });
});
