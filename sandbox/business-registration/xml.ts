import { createRandom } from '../shared/random';
import type { BusinessDossier, BusinessFile } from './store';

/**
 * Writes the service's SOAP answers as its releases do: the envelope prefix (`soap:`, `s:`,
 * `SOAP-ENV:`) and the payload prefix (`ns2:` or a default namespace) vary, texts escape the five
 * XML entities, and some releases write Vietnamese letters as numeric character references.
 */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  dk: 'http://dangkykinhdoanh.gov.vn/ws',
} as const;

export const ENVELOPE_PREFIXES = ['soap', 's', 'SOAP-ENV'] as const;
export type EnvelopePrefix = (typeof ENVELOPE_PREFIXES)[number];
export const PAYLOAD_PREFIXES = ['ns2', 'none'] as const;
export type PayloadPrefix = (typeof PAYLOAD_PREFIXES)[number];
/** One prefix for the envelope, or `rotate`: every answer takes the next of the six combinations. */
export type PrefixStyle = EnvelopePrefix | 'rotate';

export interface Release {
  envelope: EnvelopePrefix;
  payload: PayloadPrefix;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

/** The release each answer is written in. Rotation walks a seeded shuffle of all combinations, so a run replays. */
export function createReleases(style: PrefixStyle, payload: PayloadPrefix, seed: number) {
  const all = ENVELOPE_PREFIXES.flatMap((envelope) => PAYLOAD_PREFIXES.map((p): Release => ({ envelope, payload: p })));
  let current = { style, payload };
  let cycle: Release[] = [];
  let turn = 0;
  const reset = () => {
    cycle = createRandom(seed).shuffle(all);
    turn = 0;
  };
  reset();
  return {
    next(): Release {
      if (current.style !== 'rotate') return { envelope: current.style, payload: current.payload };
      return cycle[turn++ % cycle.length]!;
    },
    set(style: PrefixStyle, payloadPrefix: PayloadPrefix = current.payload) {
      current = { style, payload: payloadPrefix };
      turn = 0;
    },
    reset() {
      current = { style, payload };
      reset();
    },
  };
}

export function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Latin Extended Additional: the Vietnamese letters with two marks (ạ ả ấ ... ỹ). */
const STACKED_LETTER = /[\u1ea0-\u1ef9]/g;

/**
 * The quirk of an NCR release: every second letter with two marks in a text becomes `&#NNNN;`
 * ("Trịnh Văn Kh&#7843;i", as in the spec's sample), the others stay literal.
 */
export function withSomeNcr(escaped: string): string {
  let seen = 0;
  return escaped.replace(STACKED_LETTER, (ch) => (++seen % 2 === 0 ? `&#${ch.codePointAt(0)};` : ch));
}

/** FNV-1a: a stable per-dossier choice that needs no stored state and survives `put`. */
export function stableShare(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 0x1_0000_0000;
}

/** `ns2:` or `` */
export const prefixOf = (release: Release) => (release.payload === 'ns2' ? 'ns2:' : '');

/**
 * One `<HoSo>` in the spec's element order. `p` is the payload prefix; `ncr` whether this
 * dossier's texts carry numeric character references. Absent optional fields are absent elements.
 */
export function writeHoSo(d: BusinessDossier, p: string, ncr: boolean): string {
  const text = (value: string) => (ncr ? withSomeNcr(escapeText(value)) : escapeText(value));
  const el = (name: string, value: string | number | boolean | undefined) =>
    value === undefined ? '' : `<${p}${name}>${typeof value === 'string' ? text(value) : String(value)}</${p}${name}>`;
  const group = (name: string, inner: string) => `<${p}${name}>${inner}</${p}${name}>`;
  const files = (name: string, list: BusinessFile[]) => list.map((f) => group(name, el('Ten', f.Ten) + el('DuongDan', f.DuongDan))).join('');
  const owner = d.HoKinhDoanh
    ? group('HoKinhDoanh', el('TenHoKinhDoanh', d.HoKinhDoanh.TenHoKinhDoanh) + el('MaSoHKD', d.HoKinhDoanh.MaSoHKD) + el('NganhNghe', d.HoKinhDoanh.NganhNghe) + el('VonKinhDoanh', d.HoKinhDoanh.VonKinhDoanh))
    : d.DoanhNghiep
      ? group('DoanhNghiep', el('TenTiengViet', d.DoanhNghiep.TenTiengViet) + el('MaSoDoanhNghiep', d.DoanhNghiep.MaSoDoanhNghiep) + el('LoaiHinh', d.DoanhNghiep.LoaiHinh))
      : '';
  const history = d.LichSuXuLy.map((b) => group('Buoc', el('ThoiDiem', b.ThoiDiem) + el('CanBo', b.CanBo) + el('NoiDung', b.NoiDung) + el('TrangThai', b.TrangThai))).join('');
  return group(
    'HoSo',
    el('MaHoSo', d.MaHoSo) +
      el('LoaiHoSo', d.LoaiHoSo) +
      el('MaTTHC', d.MaTTHC) +
      `<${p}CoQuanTiepNhan MaDinhDanh="${escapeText(d.CoQuanTiepNhan.MaDinhDanh)}">${text(d.CoQuanTiepNhan.Ten)}</${p}CoQuanTiepNhan>` +
      el('KenhNop', d.KenhNop) +
      el('NgayNop', d.NgayNop) +
      el('NgayTiepNhan', d.NgayTiepNhan) +
      el('NgayHenTra', d.NgayHenTra) +
      el('TrangThai', d.TrangThai) +
      el('ThoiDiemCapNhat', d.ThoiDiemCapNhat) +
      group('NguoiNop', el('HoTen', d.NguoiNop.HoTen) + el('SoDinhDanh', d.NguoiNop.SoDinhDanh) + el('DienThoai', d.NguoiNop.DienThoai) + el('Email', d.NguoiNop.Email)) +
      owner +
      d.LePhi.map((f) => group('LePhi', el('Ten', f.Ten) + el('SoTien', f.SoTien) + el('ThanhToanTrucTuyen', f.ThanhToanTrucTuyen))).join('') +
      (history ? group('LichSuXuLy', history) : `<${p}LichSuXuLy/>`) +
      files('TaiLieu', d.TaiLieu) +
      files('KetQua', d.KetQua),
  );
}

/** An operation's answer; `payload` receives the payload prefix. */
export function writeResponse(release: Release, operation: string, payload: (p: string) => string): string {
  const e = release.envelope;
  const p = prefixOf(release);
  const ns = release.payload === 'ns2' ? `xmlns:ns2="${NS.dk}"` : `xmlns="${NS.dk}"`;
  return (
    `${XML_DECLARATION}<${e}:Envelope xmlns:${e}="${NS.soap}"><${e}:Body>` +
    `<${p}${operation}Response ${ns}>${payload(p)}</${p}${operation}Response>` +
    `</${e}:Body></${e}:Envelope>`
  );
}

export type FaultKind = 'Client' | 'Server';

/** SOAP 1.1 fault: `faultcode` qualified with the envelope prefix, `faultstring` as `CODE: text`. */
export function writeFault(release: Release, kind: FaultKind, code: string, message: string): string {
  const e = release.envelope;
  return (
    `${XML_DECLARATION}<${e}:Envelope xmlns:${e}="${NS.soap}"><${e}:Body><${e}:Fault>` +
    `<faultcode>${e}:${kind}</faultcode><faultstring>${escapeText(`${code}: ${message}`)}</faultstring>` +
    `</${e}:Fault></${e}:Body></${e}:Envelope>`
  );
}
