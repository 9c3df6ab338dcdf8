import type { BusinessSourceConfig, CivilStatusSourceConfig, LandSourceConfig, SourceSystem } from '../contracts';
import { businessAdapter, createBusinessPoller } from './business-registration';
import { civilStatusAdapter, createCivilStatusPoller } from './civil-status';
import { createLandAdapter } from './land';
import type { Adapter, AdapterEntry } from './types';

/** The one list of adapters: adding a source is adding a folder and an entry here. */
export const civilStatusEntry: AdapterEntry<CivilStatusSourceConfig> = {
  id: 'civil-status',
  transport: 'poll',
  create: () => civilStatusAdapter as Adapter,
  createPoller: (config, fetchImpl) => createCivilStatusPoller(config, fetchImpl),
};

export const landEntry: AdapterEntry<LandSourceConfig> = {
  id: 'land',
  transport: 'push',
  create: (config) => createLandAdapter(config) as Adapter,
};

export const businessEntry: AdapterEntry<BusinessSourceConfig> = {
  id: 'business-registration',
  transport: 'poll',
  create: () => businessAdapter as Adapter,
  createPoller: (config, fetchImpl) => createBusinessPoller(config, fetchImpl),
};

export const registry = {
  'civil-status': civilStatusEntry,
  land: landEntry,
  'business-registration': businessEntry,
} as const satisfies Record<SourceSystem, AdapterEntry<never>>;
