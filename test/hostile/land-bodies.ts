import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { LandEvent } from '../../contracts';
import { editText, mutations, mutate, textEdits } from './arbitraries';

/** The land system's callbacks: one valid example per event, and bodies that start from it and break it. */
const lines = readFileSync(new URL('../../adapters/land/fixtures/land-events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { event: LandEvent; body: Record<string, unknown> });

export const LAND_FIXTURES: Record<LandEvent, Record<string, unknown>> = {
  ...(Object.fromEntries(lines.map((l) => [l.event, l.body])) as Record<LandEvent, Record<string, unknown>>),
  // Not among the recorded fixtures: the example of sources/land.md.
  GuiKetQuaThue: {
    SoBienNhan: 'VPDK-260305-0113',
    NgayCoKetQuaThue: '2026-03-10T04:00:00',
    DanhSachThongBaoThue: [{ HoTenChu: 'Hoàng Thị Thu', LoaiThue: 'Thuế TNCN', SoThongBaoThue: 'TB-2026-7781', DuongDanThongBaoThue: 'https://vbdlis.example/files/9001' }],
  },
};

/** Bodies for one event: its example mutated, damaged as text, or wholly random. */
export const landBodyFor = (event: LandEvent) =>
  fc.oneof(
    { arbitrary: mutations().map((ms) => JSON.stringify(mutate(LAND_FIXTURES[event], ms)) ?? ''), weight: 6 },
    { arbitrary: fc.tuple(mutations(2), textEdits()).map(([ms, es]) => editText(JSON.stringify(mutate(LAND_FIXTURES[event], ms)) ?? '', es)), weight: 2 },
    { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)), weight: 1 },
    { arbitrary: fc.string(), weight: 1 },
  );
