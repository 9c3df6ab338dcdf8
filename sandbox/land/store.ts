import type { LandEventBody, LandEventName } from './records';

/**
 * The land system's own record of its dossiers: every event it emitted, in the order the dossier
 * lived through them (source time), whatever became of the pushes.
 */
export interface LandEventRecord {
  /** Emission sequence, unique in the simulator; the pusher's key. */
  id: number;
  event: LandEventName;
  /** The event's own time as sent (`NgayTiepNhan`, `NgayChuyen`, ...): UTC without an offset. */
  sourceTime: string;
  /** The same instant, epoch ms (sub-millisecond ticks dropped). */
  at: number;
  body: LandEventBody;
}

export interface LandDossier {
  soBienNhan: string;
  maQuyTrinh: string;
  tenQuyTrinh: string;
  /** Whether `maQuyTrinh` is in the integrator's mapping table (catalog.ts). */
  mapped: boolean;
  events: LandEventRecord[];
}

export type LandDossierHeader = Omit<LandDossier, 'events'>;

export function createLandStore() {
  const dossiers = new Map<string, LandDossier>();
  let sequence = 0;
  return {
    open(header: LandDossierHeader) {
      if (dossiers.has(header.soBienNhan)) throw new Error(`land sandbox already holds dossier ${header.soBienNhan}`);
      dossiers.set(header.soBienNhan, { ...header, events: [] });
    },
    /** Records an event; the generator emits a dossier's events in source-time order, so appending keeps that order. */
    append(soBienNhan: string, event: Omit<LandEventRecord, 'id'>): LandEventRecord {
      const dossier = dossiers.get(soBienNhan);
      if (!dossier) throw new Error(`land sandbox holds no dossier ${soBienNhan}`);
      const record = { id: ++sequence, ...event };
      dossier.events.push(record);
      return record;
    },
    get: (soBienNhan: string) => {
      const d = dossiers.get(soBienNhan);
      return d && structuredClone(d);
    },
    /** Copies, in reception order. */
    all: () => [...dossiers.values()].map((d) => structuredClone(d)),
    reset() {
      dossiers.clear();
      sequence = 0;
    },
  };
}

export type LandStore = ReturnType<typeof createLandStore>;
