import { formatYyMMdd } from '../shared/time';
import { TERMINAL_STATUSES } from './validate';

/**
 * What the provincial system holds: dossiers keyed by `idHoSo`, indexed by (MaHoSoNguon,
 * HeThongNguon), with their progress steps exactly as received (duplicates included).
 */
export interface ProvinceDossier {
  idHoSo: number;
  maHoSo: string;
  /** The create/update body as last received, with status-update fields written into it. */
  fields: Record<string, unknown>;
  /** Steps in the order received; never deduplicated. */
  TienTrinh: Record<string, unknown>[];
  /** Every accepted `PUT .../trang-thai` body, in order (for tests and reports). */
  statusUpdates: Record<string, unknown>[];
  createdAt: number;
  updatedAt: number;
}

/** What `GET /api/v1/hoso/{idHoSo}` answers. */
export type ProvinceDossierView = Record<string, unknown> & {
  idHoSo: number;
  maHoSo: string;
  TrangThai: unknown;
  TienTrinh: Record<string, unknown>[];
};

export const FIRST_ID = 88000;

const sourceKey = (maHoSoNguon: unknown, heThongNguon: unknown) => `${String(heThongNguon)}\u0000${String(maHoSoNguon)}`;

export function viewOf(dossier: ProvinceDossier): ProvinceDossierView {
  const f = structuredClone(dossier.fields);
  return {
    ...f,
    idHoSo: dossier.idHoSo,
    maHoSo: dossier.maHoSo,
    TrangThai: f['TrangThai'],
    NgayKetThucXuLy: f['NgayKetThucXuLy'] ?? null,
    NgayTra: f['NgayTra'] ?? null,
    KetQua: f['KetQua'] ?? null,
    TienTrinh: structuredClone(dossier.TienTrinh),
  };
}

export type CreateResult = { created: true; dossier: ProvinceDossier } | { created: false; existing: ProvinceDossier };

export function createProvinceStore(now: () => number) {
  const byId = new Map<number, ProvinceDossier>();
  const bySource = new Map<string, number>();
  /** Daily sequence per (agency, yyMMdd). */
  const sequences = new Map<string, number>();
  let nextId = FIRST_ID;

  return {
    create(body: Record<string, unknown>): CreateResult {
      const key = sourceKey(body['MaHoSoNguon'], body['HeThongNguon']);
      const existingId = bySource.get(key);
      if (existingId !== undefined) return { created: false, existing: byId.get(existingId)! };
      const at = now();
      const agency = String(body['MaDonViTiepNhan']);
      const day = formatYyMMdd(at);
      const seqKey = `${agency}|${day}`;
      const seq = (sequences.get(seqKey) ?? 0) + 1;
      sequences.set(seqKey, seq);
      const dossier: ProvinceDossier = {
        idHoSo: nextId++,
        maHoSo: `${agency}-${day}-${String(seq).padStart(4, '0')}`,
        fields: structuredClone(body),
        TienTrinh: [],
        statusUpdates: [],
        createdAt: at,
        updatedAt: at,
      };
      byId.set(dossier.idHoSo, dossier);
      bySource.set(key, dossier.idHoSo);
      return { created: true, dossier };
    },

    get: (idHoSo: number) => byId.get(idHoSo),

    find(maHoSoNguon: string, heThongNguon: string): ProvinceDossier | undefined {
      const id = bySource.get(sourceKey(maHoSoNguon, heThongNguon));
      return id === undefined ? undefined : byId.get(id);
    },

    /** Replaces the fields (not the progress). A change of source key onto another dossier's is a conflict. */
    update(dossier: ProvinceDossier, body: Record<string, unknown>): { ok: true } | { ok: false; existing: ProvinceDossier } {
      const oldKey = sourceKey(dossier.fields['MaHoSoNguon'], dossier.fields['HeThongNguon']);
      const newKey = sourceKey(body['MaHoSoNguon'], body['HeThongNguon']);
      if (newKey !== oldKey) {
        const other = bySource.get(newKey);
        if (other !== undefined) return { ok: false, existing: byId.get(other)! };
        bySource.delete(oldKey);
        bySource.set(newKey, dossier.idHoSo);
      }
      dossier.fields = structuredClone(body);
      dossier.updatedAt = now();
      return { ok: true };
    },

    appendSteps(dossier: ProvinceDossier, steps: Record<string, unknown>[]): number {
      dossier.TienTrinh.push(...structuredClone(steps));
      dossier.updatedAt = now();
      return dossier.TienTrinh.length;
    },

    /** `false` when the dossier is already in a terminal status. */
    setStatus(dossier: ProvinceDossier, body: Record<string, unknown>): boolean {
      if (TERMINAL_STATUSES.has(dossier.fields['TrangThai'] as number)) return false;
      dossier.fields['TrangThai'] = body['TrangThai'];
      dossier.fields['NgayKetThucXuLy'] = body['NgayKetThucXuLy'] ?? null;
      dossier.fields['NgayTra'] = body['NgayTra'] ?? null;
      dossier.fields['KetQua'] = structuredClone(body['KetQua'] ?? null);
      dossier.statusUpdates.push(structuredClone(body));
      dossier.updatedAt = now();
      return true;
    },

    all: () => [...byId.values()],

    reset() {
      byId.clear();
      bySource.clear();
      sequences.clear();
      nextId = FIRST_ID;
    },
  };
}

export type ProvinceStore = ReturnType<typeof createProvinceStore>;
