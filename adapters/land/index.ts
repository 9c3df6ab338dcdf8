import type { LandSourceConfig } from '../../contracts';
import type { Adapter } from '../types';
import { foldLand, toLandFragment, type LandFragment } from './map';

/** land pushes one callback per event; the dossier is the fold of its events in source-time order. */
export function createLandAdapter(config: Pick<LandSourceConfig, 'office'>): Adapter<LandFragment> {
  return {
    id: 'land',
    toFragment: (record) => toLandFragment(record.kind, record.body),
    fold: (fragments) => foldLand(fragments, config.office),
  };
}
