/**
 * What the national portal holds: dossiers by MaHoSo as last synchronised, each with its progress
 * keyed by (MaHoSo, ThoiDiemXuLy, TrangThai): a step sent again replaces the earlier one in place.
 */
export interface DvcqgDossier {
  MaHoSo: string;
  fields: Record<string, unknown>;
  TienDo: Record<string, unknown>[];
  createdAt: number;
  updatedAt: number;
  /** When the portal first held each step, by its key (epoch ms): what a benchmark times a change by. */
  stepHeldAt: Map<string, number>;
}

/** What `TraCuuHoSo` answers for one dossier. */
export type DvcqgDossierView = Record<string, unknown> & { MaHoSo: string; TienDo: Record<string, unknown>[] };

export const viewOf = (d: DvcqgDossier): DvcqgDossierView => ({
  ...structuredClone(d.fields),
  MaHoSo: d.MaHoSo,
  TienDo: structuredClone(d.TienDo),
});

const stepKey = (step: Record<string, unknown>) => `${String(step['ThoiDiemXuLy'])}|${String(step['TrangThai'])}`;

export function createDvcqgStore(now: () => number) {
  const dossiers = new Map<string, DvcqgDossier>();
  return {
    get: (maHoSo: string) => dossiers.get(maHoSo),
    create(item: Record<string, unknown>): DvcqgDossier {
      const at = now();
      const d: DvcqgDossier = { MaHoSo: String(item['MaHoSo']), fields: structuredClone(item), TienDo: [], createdAt: at, updatedAt: at, stepHeldAt: new Map() };
      dossiers.set(d.MaHoSo, d);
      return d;
    },
    update(d: DvcqgDossier, item: Record<string, unknown>) {
      d.fields = structuredClone(item);
      d.updatedAt = now();
    },
    /** Replaces the step with the same key, else appends. Answers whether it replaced one. */
    putStep(d: DvcqgDossier, step: Record<string, unknown>): boolean {
      const key = stepKey(step);
      const index = d.TienDo.findIndex((s) => stepKey(s) === key);
      if (index >= 0) d.TienDo[index] = structuredClone(step);
      else d.TienDo.push(structuredClone(step));
      d.updatedAt = now();
      if (!d.stepHeldAt.has(key)) d.stepHeldAt.set(key, d.updatedAt);
      return index >= 0;
    },
    remove: (maHoSo: string) => dossiers.delete(maHoSo),
    all: () => [...dossiers.values()],
    reset: () => dossiers.clear(),
  };
}
