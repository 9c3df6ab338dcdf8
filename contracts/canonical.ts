import { z } from 'zod';
import { agencyCode, channel, idType, nationalProcedureCode, oneStopCode, partyKind, resultDelivery, sectorCode } from './codes';
import { canonicalStatus } from './status';

/** An instant with an offset, `2026-03-02T08:15:00+07:00`. */
export const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/, 'must be ISO-8601 with an offset');

export const SOURCE_SYSTEMS = ['land', 'civil-status', 'business-registration'] as const;
export const sourceSystem = z.enum(SOURCE_SYSTEMS);
export type SourceSystem = z.infer<typeof sourceSystem>;

export const TARGET_SYSTEMS = ['province', 'dvcqg'] as const;
export const targetSystem = z.enum(TARGET_SYSTEMS);
export type TargetSystem = z.infer<typeof targetSystem>;

const text = z.string().min(1);

export const party = z.object({
  kind: partyKind,
  name: text,
  ids: z.array(z.object({ type: idType, value: text })),
  phone: z.string().optional(),
  email: z.string().optional(),
  address: z.string().optional(),
});
export type Party = z.infer<typeof party>;

export const processingEvent = z.object({
  seq: z.number().int().nonnegative(),
  at: instant,
  actor: z.string(),
  /** The actor's title (chức danh), when the source gives one. */
  actorTitle: z.string().optional(),
  department: z.string().optional(),
  content: z.string(),
  status: canonicalStatus,
  stepDueAt: instant.optional(),
  /** The source's own status value for this step, kept beside the canonical one. */
  rawStatus: z.string().optional(),
});
export type ProcessingEvent = z.infer<typeof processingEvent>;

export const pause = z.object({
  kind: z.enum(['SUPPLEMENT', 'FINANCIAL_OBLIGATION']),
  requestedAt: instant,
  resumedAt: instant.optional(),
  note: z.string().optional(),
  dueBefore: instant.optional(),
  dueAfter: instant.optional(),
});
export type Pause = z.infer<typeof pause>;

export const document = z.object({
  name: text,
  url: z.string().optional(),
  componentCode: z.string().optional(),
  digitized: z.boolean(),
});
export const resultDocument = z.object({ name: text, url: z.string(), resultCode: z.string().optional() });
export const fee = z.object({ name: text, amountVnd: z.number().int().nonnegative(), paidOnline: z.boolean().optional() });

/** Sector data: what the model has no field for, with everything the source sent kept in `raw`. */
const raw = z.record(z.string(), z.unknown());
export const landData = z.object({
  kind: z.literal('land'),
  parcels: z.array(
    z.object({ parcelNumber: z.string(), mapSheet: z.string(), areaM2: z.number().optional(), address: z.string().optional() }),
  ),
  assetAddress: z.string().optional(),
  adminUnit: z.object({ province: z.string(), district: z.string(), commune: z.string() }).partial().optional(),
  taxNotices: z.array(
    z.object({ ownerName: z.string(), taxType: z.string(), noticeNumber: z.string(), url: z.string().optional() }),
  ),
  raw,
});
export const civilStatusData = z.object({
  kind: z.literal('civil-status'),
  module: z.enum(['LTKS', 'LTKT', 'LTKH']),
  /** The civil-status record's fields (`nks*`, `nkt*`, `chong*`, ...), strings as sent. */
  record: z.record(z.string(), z.string()),
  linkedCode: z.string().optional(),
  resultNumber: z.string().optional(),
  raw,
});
export const businessData = z.object({
  kind: z.literal('business-registration'),
  dossierType: z.string(),
  enterprise: z.object({ name: z.string(), code: z.string().optional(), legalForm: z.string().optional() }).optional(),
  household: z
    .object({ name: z.string(), code: z.string().optional(), trade: z.string().optional(), capitalVnd: z.number().optional() })
    .optional(),
  raw,
});
export const sectorData = z.discriminatedUnion('kind', [landData, civilStatusData, businessData]);
export type SectorData = z.infer<typeof sectorData>;

const procedureDraft = z.object({
  nationalCode: nationalProcedureCode.optional(),
  localCode: z.string().optional(),
  name: z.string().optional(),
  sectorCode: sectorCode.optional(),
  statutoryDays: z.number().nonnegative().optional(),
});

/**
 * A dossier as the gateway holds it. It may lack what only the integrator's mapping table gives
 * (the national procedure) or what a dossier submitted online lacks until received (`receivedAt`);
 * such a dossier is kept and reported, and sent nowhere until it parses as `canonicalDossier`.
 */
export const dossierDraft = z.object({
  source: z.object({ system: sourceSystem, externalId: text }),
  dossierCode: oneStopCode.optional(),
  sourceCode: text,
  procedure: procedureDraft,
  receivingAgency: z.object({ code: agencyCode, name: z.string() }),
  applicant: party,
  owner: party,
  summary: z.string(),
  channel,
  resultDelivery,
  submittedAt: instant.optional(),
  receivedAt: instant.optional(),
  dueAt: instant.optional(),
  completedAt: instant.optional(),
  deliveredAt: instant.optional(),
  status: canonicalStatus,
  rawStatus: z.object({ system: z.string(), value: z.string() }),
  events: z.array(processingEvent),
  pauses: z.array(pause),
  documents: z.array(document),
  results: z.array(resultDocument),
  fees: z.array(fee),
  sector: sectorData,
  version: z.number().int().nonnegative(),
});
export type DossierDraft = z.infer<typeof dossierDraft>;

/** The canonical dossier of canonical.md: everything the targets need is present. */
export const canonicalDossier = dossierDraft.extend({
  procedure: procedureDraft.extend({ nationalCode: nationalProcedureCode, name: text, sectorCode }),
  receivedAt: instant,
});
export type CanonicalDossier = z.infer<typeof canonicalDossier>;

/** What an adapter produces: a dossier without the gateway's own bookkeeping. */
export type SourceDossier = Omit<DossierDraft, 'version' | 'dossierCode'>;

export const HOLD_REASONS = ['UNMAPPED_PROCEDURE', 'NOT_RECEIVED', 'INVALID'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];
