import type { SourceDossier } from '../../contracts';

/** A complete, valid dossier for tests; override what a test is about. */
export function makeDossier(overrides: Partial<SourceDossier> = {}): SourceDossier {
  const externalId = overrides.source?.externalId ?? 'HT-380-2603-000117';
  return {
    source: { system: 'civil-status', externalId },
    sourceCode: externalId,
    procedure: { localCode: 'KS-01', nationalCode: '1.001193', name: 'Đăng ký khai sinh', sectorCode: 'G15-TP07' },
    receivingAgency: { code: '000.00.16.H56', name: 'UBND xã Quảng Phú' },
    applicant: { kind: 'CITIZEN', name: 'Trần Văn Hùng', ids: [{ type: 'CCCD', value: '038088009876' }] },
    owner: { kind: 'CITIZEN', name: 'Trần Gia Bảo', ids: [] },
    summary: 'Đăng ký khai sinh cho Trần Gia Bảo',
    channel: 'ONLINE',
    resultDelivery: 'COUNTER',
    receivedAt: '2026-03-02T08:05:10+07:00',
    dueAt: '2026-03-02T17:00:00+07:00',
    status: 'IN_PROGRESS',
    rawStatus: { system: 'civil-status', value: '3' },
    events: [
      { seq: 0, at: '2026-03-02T08:05:10+07:00', actor: 'Phạm Thu Trang', content: 'Tiếp nhận hồ sơ', status: 'IN_PROGRESS' },
    ],
    pauses: [],
    documents: [],
    results: [],
    fees: [],
    sector: { kind: 'civil-status', module: 'LTKS', record: {}, raw: {} },
    ...overrides,
  };
}
