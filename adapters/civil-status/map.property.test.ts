import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseVnDateTime } from '../../src/lib/time';
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
import { parseRecord, toSourceDossier } from './map';
import { listAnswer, listItem } from './wire';

/**
 * A civil-status detail (JSON with the record as XML inside) either maps to a valid dossier or is
 * refused with a typed error, whatever the JSON, whatever the XML; list answers are read or
 * refused as a whole.
 */
const FIXTURE_NAMES = ['civil-status-birth.json', 'civil-status-death.json', 'civil-status-marriage.json', 'civil-status-online-pending.json'];
const fixtures = FIXTURE_NAMES.map((n) => JSON.parse(readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8')) as Record<string, unknown>);
const specSamples = ['civil-status-death.json', 'civil-status-marriage.json'].map(
  (n) => JSON.parse(readFileSync(`/work/shared/spec/samples/${n}`, 'utf8')) as Record<string, unknown>,
);
const bases = [...fixtures, ...specSamples];
const records = bases.map((b) => parseRecord(String(b['data'])));

const validate = (d: unknown) => {
  const check = sourceDossier.safeParse(d);
  expect(check.success, check.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toBe(true);
};

/** The `data` XML rebuilt from a (mutated) record, with a chosen encoding and optional prolog. */
const dataXml = fc
  .tuple(fc.nat(records.length - 1), mutations(3), xmlEncoding, fc.boolean(), textEdits(1), fc.boolean())
  .map(([i, ms, encoding, prolog, edits, damaged]) => {
    const record = mutate(records[i], ms);
    const xml = `${prolog ? '<?xml version="1.0" encoding="UTF-8"?>' : ''}${toXml('hoTich', record, { encoding })}`;
    return damaged ? editText(xml, edits) : xml;
  });

const detailBody = fc.oneof(
  { arbitrary: fc.tuple(fc.nat(bases.length - 1), mutations()).map(([i, ms]) => JSON.stringify(mutate(bases[i], ms)) ?? ''), weight: 5 },
  {
    arbitrary: fc.tuple(fc.nat(bases.length - 1), dataXml, mutations(1)).map(([i, data, ms]) => JSON.stringify(mutate({ ...bases[i], data }, ms)) ?? ''),
    weight: 5,
  },
  { arbitrary: fc.tuple(fc.nat(bases.length - 1), textEdits()).map(([i, es]) => editText(JSON.stringify(bases[i]), es)), weight: 2 },
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 1 },
  { arbitrary: fc.string(), weight: 1 },
);

describe('civil-status mapping under hostile and random input', () => {
  it('maps a detail to a valid dossier, or refuses it with a typed error; twice gives the same dossier', () => {
    let mapped = 0;
    fc.assert(
      fc.property(detailBody, (body) => {
        const r = attempt(() => toSourceDossier(body));
        if (!r.ok) return;
        mapped++;
        validate(r.value);
        expect(nonNfc(r.value)).toEqual([]);
        expect(toSourceDossier(body)).toEqual(r.value);
        // What the store keeps and reads back is the same dossier.
        expect(JSON.parse(JSON.stringify(r.value))).toEqual(r.value);
      }),
      // The parser decodes entities at only one to three megabytes a second: fewer cases keep it fast.
      runs(200),
    );
    expect(mapped).toBeGreaterThan(20);
  });

  it('reads any data XML as a record of strings, or refuses it with a typed error', () => {
    fc.assert(
      fc.property(fc.oneof(dataXml, fc.string(), fc.string({ unit: 'binary' })), (xml) => {
        const r = attempt(() => parseRecord(xml));
        if (!r.ok) return;
        for (const value of Object.values(r.value)) expect(typeof value).toBe('string');
        expect(nonNfc(r.value)).toEqual([]);
        expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
      }),
      runs(),
    );
  });

  it('keeps IDs with leading zeros as sent and gives NFC names, whether written literally, as references or in CDATA', () => {
    fc.assert(
      fc.property(leadingZeroId, leadingZeroId, vietnamese, vietnamese, xmlEncoding, (nycId, nksId, nycName, nksName, encoding) => {
        const e = (s: string) => encodeText(s, encoding);
        const data =
          `<hoTich><nksHoTen>${e(nksName)}</nksHoTen><nksSoDinhDanh>${nksId}</nksSoDinhDanh><nksNgaySinh>20260225</nksNgaySinh>` +
          `<nycHoTen>${e(nycName)}</nycHoTen><nycSoDinhDanh>${e(nycId)}</nycSoDinhDanh><meSoDinhDanh>${nksId}</meSoDinhDanh></hoTich>`;
        const d = toSourceDossier(JSON.stringify({ ...fixtures[0], data }));
        expect(d.applicant.name).toBe(nycName.normalize('NFC'));
        expect(d.applicant.ids.map((i) => i.value)).toEqual([nycId]);
        expect(d.owner.name).toBe(nksName.normalize('NFC'));
        expect(d.owner.ids.map((i) => i.value)).toEqual([nksId]);
        expect(d.summary).toBe(`Đăng ký khai sinh cho ${nksName.normalize('NFC')}`);
        if (d.sector.kind !== 'civil-status') throw new Error('sector');
        expect(d.sector.record['meSoDinhDanh']).toBe(nksId);
        expect(nonNfc(d)).toEqual([]);
      }),
      runs(),
    );
  });

  it('reads a list answer entry by entry: every entry it takes has a code and a readable change time, the others are told apart', () => {
    const list = { tongSo: 2, trang: 1, soLuong: 200, value: [{ maHoSo: 'HT-380-2603-000117', module: 'LTKS', ngayCapNhat: '02/03/2026 09:12:44' }, { maHoSo: '000118', module: 'LTKT', ngayCapNhat: '02/03/2026 09:12:44' }] };
    fc.assert(
      fc.property(fc.oneof(mutations().map((ms) => mutate(list, ms)), fc.jsonValue()), (answer) => {
        const parsed = listAnswer.safeParse(answer);
        if (!parsed.success) return;
        expect(parsed.data.value).toEqual((answer as { value: unknown[] }).value);
        for (const entry of parsed.data.value) {
          const item = listItem.safeParse(entry);
          if (!item.success) continue;
          expect(typeof item.data.maHoSo).toBe('string');
          expect(item.data.maHoSo).toBe((entry as { maHoSo: string }).maHoSo);
          expect(() => parseVnDateTime(item.data.ngayCapNhat)).not.toThrow();
        }
      }),
      runs(),
    );
  });
});
