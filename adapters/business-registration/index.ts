import type { SourceDossier } from '../../contracts';
import type { Adapter } from '../types';
import { toBusinessDossier } from './map';

/** Each record is a whole `<HoSo>` as listed: the dossier is the newest by ThoiDiemCapNhat. */
export const businessAdapter: Adapter<SourceDossier> = {
  id: 'business-registration',
  toFragment(record) {
    const dossier = toBusinessDossier(record.body);
    return { externalId: dossier.source.externalId, fragment: dossier };
  },
  fold: (fragments) => fragments.at(-1) ?? null,
};

export { createBusinessClient, createBusinessPoller } from './client';
