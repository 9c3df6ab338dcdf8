import { z } from 'zod';
import { agencyCode, nationalProcedureCode, provinceCode, sectorCode } from './codes';

/**
 * The gateway's configuration file (JSON). Secrets never sit in the file: it names the environment
 * variable that holds each one (`passwordEnv`, `clientSecretEnv`), and `resolveConfig` reads them.
 */
const url = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable, like LIENTHONG_DVCQG_PASSWORD');
const positive = z.number().positive();
const localCode = z.string().min(1);

/** Local procedure code -> national code (MaTTHC). */
export const procedureMap = z.record(localCode, nationalProcedureCode);
export type ProcedureMap = z.infer<typeof procedureMap>;

const mappedSource = {
  enabled: z.boolean().default(true),
  /** Local procedure code -> national code. May be combined with `procedureMapFile` (JSON or CSV). */
  procedureMap: procedureMap.default({}),
  procedureMapFile: z.string().optional(),
};

export const civilStatusSourceConfig = z
  .object({
    ...mappedSource,
    baseUrl: url,
    userName: z.string().min(1),
    passwordEnv: envName,
    pollIntervalSeconds: positive.default(10),
    /** How far each poll window reaches back before the last one's end, for late or clock-skewed changes. */
    overlapSeconds: z.number().nonnegative().default(300),
    /** Where the first poll starts, when there is no cursor yet. */
    startFrom: z.iso.datetime({ offset: true }).optional(),
    pageSize: z.number().int().min(1).max(200).default(200),
    requestsPerSecond: positive.default(8),
    timeoutMs: positive.default(10_000),
  })
  .strict();

export const landSourceConfig = z
  .object({
    ...mappedSource,
    /** The shared secret the land system puts in the callback path. */
    securityCodeEnv: envName,
    /** The land registration office that receives these dossiers (the receiving agency). */
    office: z.object({ code: agencyCode, name: z.string().min(1) }).strict(),
    /** Callback bodies larger than this are refused (and kept for an operator). */
    maxBodyBytes: z.number().int().min(1024).max(50_000_000).default(1_000_000),
    /**
     * How long a land dossier's change waits before it is delivered, so that an event overtaken by a
     * later one (a resend) still reaches the append-only province in source-time order.
     */
    reorderWindowSeconds: z.number().nonnegative().default(90),
  })
  .strict();

export const businessSourceConfig = z
  .object({
    ...mappedSource,
    baseUrl: url,
    username: z.string().min(1),
    passwordEnv: envName,
    pollIntervalSeconds: positive.default(10),
    overlapSeconds: z.number().nonnegative().default(300),
    startFrom: z.iso.datetime({ offset: true }).optional(),
    pageSize: z.number().int().min(1).max(100).default(100),
    requestsPerSecond: positive.default(5),
    timeoutMs: positive.default(15_000),
  })
  .strict();

export const procedureCatalogEntry = z
  .object({
    name: z.string().min(1),
    sectorCode,
    sectorName: z.string().optional(),
    statutoryDays: z.number().nonnegative().optional(),
  })
  .strict();

export const provinceTargetConfig = z
  .object({
    baseUrl: url,
    clientId: z.string().min(1),
    clientSecretEnv: envName,
    requestsPerSecond: positive.default(15),
    concurrency: z.number().int().min(1).max(64).default(4),
    timeoutMs: positive.default(10_000),
  })
  .strict();

export const dvcqgTargetConfig = z
  .object({
    baseUrl: url,
    username: z.string().min(1),
    passwordEnv: envName,
    /** The agency code sent as `madonvi` in every body, like 000.00.00.H56. */
    madonvi: agencyCode,
    /** The routing code sent in the `dstcode` header. */
    dstcode: z.string().min(1),
    requestsPerSecond: positive.default(4),
    batchSize: z.number().int().min(1).max(50).default(50),
    /** Batches sent at once. The portal allows 5 calls per second per agency, which two keep busy when calls are slow. */
    concurrency: z.number().int().min(1).max(16).default(2),
    timeoutMs: positive.default(15_000),
  })
  .strict();

export const deliveryConfig = z
  .object({
    /** After this long failing, a delivery is marked dead with its reason. */
    retryBudgetHours: positive.default(24),
    backoffBaseMs: positive.default(2_000),
    backoffMaxMs: positive.default(600_000),
    /** A claimed delivery is someone else's to take over once its lease has run out. */
    leaseSeconds: positive.default(120),
    idlePollMs: positive.default(500),
  })
  .strict();

export const reconcileConfig = z
  .object({
    /** How often the drift check reads the targets (0 turns the schedule off; on demand still works). */
    intervalMinutes: z.number().nonnegative().default(60),
    /** Dossiers checked per target in one run; the next run continues where this one stopped. */
    maxPerRun: z.number().int().min(1).default(2_000),
  })
  .strict();

export const configFile = z
  .object({
    port: z.number().int().min(0).max(65535).optional(),
    database: z.object({ file: z.string().min(1).default('./data/lienthong.db') }).strict().default({ file: './data/lienthong.db' }),
    province: z.object({ code: provinceCode, name: z.string().optional() }).strict(),
    /** Public holidays (yyyy-MM-dd) that operators maintain; they are not working days. */
    holidays: z.array(z.iso.date()).default([]),
    /** The national procedure catalogue entries the gateway needs: names and sectors as `LayThuTuc` gives them. */
    procedures: z.record(nationalProcedureCode, procedureCatalogEntry).default({}),
    sources: z
      .object({
        'civil-status': civilStatusSourceConfig.optional(),
        land: landSourceConfig.optional(),
        'business-registration': businessSourceConfig.optional(),
      })
      .strict()
      .default({}),
    targets: z.object({ province: provinceTargetConfig, dvcqg: dvcqgTargetConfig }).strict(),
    delivery: deliveryConfig.default(deliveryConfig.parse({})),
    reconcile: reconcileConfig.default(reconcileConfig.parse({})),
  })
  .strict();
export type ConfigFile = z.infer<typeof configFile>;

type WithSecret<T, K extends string, S extends string> = Omit<T, K> & { [P in S]: string };

/** The configuration the gateway runs with: the file's values with every secret read in. */
export interface GatewayConfig extends Omit<ConfigFile, 'sources' | 'targets'> {
  sources: {
    'civil-status'?: WithSecret<z.infer<typeof civilStatusSourceConfig>, 'passwordEnv', 'password'>;
    land?: WithSecret<z.infer<typeof landSourceConfig>, 'securityCodeEnv', 'securityCode'>;
    'business-registration'?: WithSecret<z.infer<typeof businessSourceConfig>, 'passwordEnv', 'password'>;
  };
  targets: {
    province: WithSecret<z.infer<typeof provinceTargetConfig>, 'clientSecretEnv', 'clientSecret'>;
    dvcqg: WithSecret<z.infer<typeof dvcqgTargetConfig>, 'passwordEnv', 'password'>;
  };
}
export type CivilStatusSourceConfig = NonNullable<GatewayConfig['sources']['civil-status']>;
export type LandSourceConfig = NonNullable<GatewayConfig['sources']['land']>;
export type BusinessSourceConfig = NonNullable<GatewayConfig['sources']['business-registration']>;
export type ProvinceTargetConfig = GatewayConfig['targets']['province'];
export type DvcqgTargetConfig = GatewayConfig['targets']['dvcqg'];
export type DeliveryConfig = z.infer<typeof deliveryConfig>;
export type ProcedureCatalog = ConfigFile['procedures'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`configuration: ${field}: ${problem}`);
  }
}

/** Turns a zod failure into a message that names the field and what is wrong with it. */
export function configErrorFrom(error: z.ZodError, prefix = ''): ConfigError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  return new ConfigError(path || '(root)', issue?.message ?? 'is invalid');
}

/** Validates a parsed configuration file and reads the secrets it names from `env`. */
export function resolveConfig(input: unknown, env: Record<string, string | undefined>): GatewayConfig {
  const parsed = configFile.safeParse(input);
  if (!parsed.success) throw configErrorFrom(parsed.error);
  const file = parsed.data;
  const secret = (field: string, name: string): string => {
    const value = env[name];
    if (!value) throw new ConfigError(field, `environment variable ${name} is not set`);
    return value;
  };
  const { clientSecretEnv, ...province } = file.targets.province;
  const { passwordEnv: dvcqgPasswordEnv, ...dvcqg } = file.targets.dvcqg;
  for (const [name, source] of Object.entries(file.sources)) {
    for (const national of Object.values(source?.procedureMap ?? {})) {
      if (!file.procedures[national]) {
        throw new ConfigError(
          `sources.${name}.procedureMap`,
          `national code ${national} has no entry in "procedures" (add its name and sector from the national catalogue)`,
        );
      }
    }
  }
  const sources: GatewayConfig['sources'] = {};
  const civil = file.sources['civil-status'];
  if (civil) {
    const { passwordEnv, ...rest } = civil;
    sources['civil-status'] = { ...rest, password: secret('sources.civil-status.passwordEnv', passwordEnv) };
  }
  const land = file.sources.land;
  if (land) {
    const { securityCodeEnv, ...rest } = land;
    sources.land = { ...rest, securityCode: secret('sources.land.securityCodeEnv', securityCodeEnv) };
  }
  const business = file.sources['business-registration'];
  if (business) {
    const { passwordEnv, ...rest } = business;
    sources['business-registration'] = { ...rest, password: secret('sources.business-registration.passwordEnv', passwordEnv) };
  }
  return {
    ...file,
    sources,
    targets: {
      province: { ...province, clientSecret: secret('targets.province.clientSecretEnv', clientSecretEnv) },
      dvcqg: { ...dvcqg, password: secret('targets.dvcqg.passwordEnv', dvcqgPasswordEnv) },
    },
  };
}
