import {
  CIVIL_STATUS_STATUS,
  channelFromCode,
  personalIdType,
  type CanonicalStatus,
  type Party,
  type Pause,
  type ProcessingEvent,
  type SourceDossier,
} from '../../contracts';
import { MappingError } from '../../src/lib/errors';
import { deepNfc, optionalText } from '../../src/lib/text';
import { parseJson, parseWire } from '../../src/lib/parse';
import { parseVnDateTime } from '../../src/lib/time';
import { createXmlParser } from '../../src/lib/xml';
import { detail as detailSchema, type Detail } from './wire';

const xml = createXmlParser({ maxLength: 1_000_000 });

/** The civil-status record inside `data`: every element as a string, NFC, leading zeros kept. */
export function parseRecord(data: string): Record<string, string> {
  const doc = xml.parse(data);
  const root = doc['hoTich'];
  if (root === undefined) throw new MappingError('BAD_XML', 'the XML in "data" has no <hoTich> root element', 'data');
  if (root === '' || root === null) return {};
  if (typeof root !== 'object') throw new MappingError('BAD_XML', '<hoTich> holds text instead of elements', 'data');
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(root as Record<string, unknown>)) {
    if (name.startsWith('@')) continue;
    // Unknown structured elements are kept as JSON text rather than dropped.
    record[name] = typeof value === 'string' ? value.normalize('NFC') : JSON.stringify(deepNfc(value));
  }
  return record;
}

function status(code: string, field: string): CanonicalStatus {
  const s = CIVIL_STATUS_STATUS[code];
  if (!s) throw new MappingError('UNKNOWN_STATUS', `${field} ${code} is not a civil-status status (1, 2, 3, 4 or 6)`, field);
  return s;
}

function person(record: Record<string, string>, prefix: string): Party | undefined {
  const name = optionalText(record[`${prefix}HoTen`]);
  if (!name) return undefined;
  const id = optionalText(record[`${prefix}SoDinhDanh`]);
  return {
    kind: 'CITIZEN',
    name,
    ids: id ? [{ type: personalIdType(id), value: id }] : [],
    phone: optionalText(record[`${prefix}SoDienThoai`]),
    email: optionalText(record[`${prefix}Email`]),
    address: optionalText(record[`${prefix}DiaChi`] ?? record[`${prefix}NoiCuTru`]),
  };
}

/** The owner is who the record is about; for a marriage both spouses, the husband first. */
function owner(module: Detail['module'], record: Record<string, string>, applicant: Party): Party {
  if (module === 'LTKS') return person(record, 'nks') ?? applicant;
  if (module === 'LTKT') return person(record, 'nkt') ?? applicant;
  const husband = person(record, 'chong');
  const wife = person(record, 'vo');
  if (husband && wife) return { ...husband, name: `${husband.name} - ${wife.name}`, ids: [...husband.ids, ...wife.ids] };
  return husband ?? wife ?? applicant;
}

function summary(module: Detail['module'], record: Record<string, string>, owner: Party): string {
  if (module === 'LTKS') return `Đăng ký khai sinh cho ${record['nksHoTen'] ?? owner.name}`;
  if (module === 'LTKT') return `Đăng ký khai tử cho ${record['nktHoTen'] ?? owner.name}`;
  return `Đăng ký kết hôn ${record['chongHoTen'] ?? ''} - ${record['voHoTen'] ?? ''}`;
}

/** Supplement pauses from the history: a step in status 2 opens one, the next other step closes it. */
function pausesOf(events: ProcessingEvent[]): Pause[] {
  const pauses: Pause[] = [];
  let open: Pause | undefined;
  for (const e of events) {
    if (e.status === 'AWAITING_SUPPLEMENT') {
      if (!open) {
        open = { kind: 'SUPPLEMENT', requestedAt: e.at, ...(e.content ? { note: e.content } : {}) };
        pauses.push(open);
      }
    } else if (open) {
      open.resumedAt = e.at;
      open = undefined;
    }
  }
  return pauses;
}

/** Maps a dossier detail (the JSON text as received) to the gateway's dossier. Pure. */
export function toSourceDossier(body: string): SourceDossier {
  const d = deepNfc(parseWire(detailSchema, parseJson(body, 'the dossier detail')));
  const record = parseRecord(d.data);
  const applicant = person(record, 'nyc');
  if (!applicant) throw new MappingError('MISSING_FIELD', 'the XML in "data" has no requester name (nycHoTen)', 'data.nycHoTen');
  const own = owner(d.module, record, applicant);
  const channel = channelFromCode(Number(d.kenhNop));
  if (!channel) throw new MappingError('BAD_FIELD', `kenhNop ${d.kenhNop} is not 1, 2 or 3`, 'kenhNop');
  const agencyName = optionalText(d.tenDonVi) ?? '';

  const events: ProcessingEvent[] = (d.lichSu ?? []).map((h, seq) => ({
    seq,
    at: parseVnDateTime(h.thoiGianThucHien),
    actor: optionalText(h.nguoiXuLy) ?? '',
    ...(optionalText(h.chucDanh) ? { actorTitle: optionalText(h.chucDanh) } : {}),
    ...(agencyName ? { department: agencyName } : {}),
    content: optionalText(h.noiDungXuLy) ?? '',
    status: status(h.trangThai, `lichSu[${seq}].trangThai`),
    rawStatus: h.trangThai,
  }));
  const result = d.ketQuaXuLy;
  const resultUrl = optionalText(result?.duongDan);
  const { data: _xml, ...envelope } = d;

  return {
    source: { system: 'civil-status', externalId: d.maHoSo },
    sourceCode: d.maHoSo,
    procedure: { localCode: d.maTTHC },
    receivingAgency: { code: d.maDonVi, name: agencyName },
    applicant,
    owner: own,
    summary: summary(d.module, record, own),
    channel,
    resultDelivery: channel === 'POSTAL' ? 'POSTAL' : 'COUNTER',
    ...(optionalText(d.ngayTiepNhan) ? { receivedAt: parseVnDateTime(d.ngayTiepNhan!) } : {}),
    ...(optionalText(d.ngayHenTra) ? { dueAt: parseVnDateTime(d.ngayHenTra!) } : {}),
    status: status(d.trangThai, 'trangThai'),
    rawStatus: { system: 'civil-status', value: d.trangThai },
    events,
    pauses: pausesOf(events),
    documents: (d.fileDinhKem ?? []).map((f) => ({
      name: optionalText(f.tenFile) ?? 'Tệp đính kèm',
      ...(optionalText(f.duongDan) ? { url: optionalText(f.duongDan) } : {}),
      digitized: Boolean(optionalText(f.duongDan)),
    })),
    results: resultUrl
      ? [
          {
            name: optionalText(result?.tenGiayTo) ?? 'Kết quả',
            url: resultUrl,
            ...(optionalText(result?.soGiayTo) ? { resultCode: optionalText(result?.soGiayTo) } : {}),
          },
        ]
      : [],
    fees: [],
    sector: {
      kind: 'civil-status',
      module: d.module,
      record,
      ...(optionalText(d.maHoSoLT) ? { linkedCode: optionalText(d.maHoSoLT) } : {}),
      ...(optionalText(result?.soGiayTo) ? { resultNumber: optionalText(result?.soGiayTo) } : {}),
      raw: envelope as Record<string, unknown>,
    },
  };
}
