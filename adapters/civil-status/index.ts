import type { SourceDossier } from '../../contracts';
import type { Adapter } from '../types';
import { createCivilStatusPoller } from './client';
import { toSourceDossier } from './map';

/**
 * civil-status is polled and each record is a whole snapshot of the dossier, so a dossier is its
 * newest snapshot by source time: a snapshot read late never replaces a newer one.
 */
export const civilStatusAdapter: Adapter<SourceDossier> = {
  id: 'civil-status',
  toFragment(record) {
    const dossier = toSourceDossier(record.body);
    return { externalId: dossier.source.externalId, fragment: dossier };
  },
  fold(fragments) {
    return fragments.at(-1) ?? null;
  },
};

export { createCivilStatusPoller };
