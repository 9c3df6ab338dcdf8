import type { RunningSandbox, StartSandboxOptions } from '../../sandbox';
import { startSandbox } from '../../sandbox';
import { BUSINESS_PROCEDURES, CIVIL_STATUS_PROCEDURES, LAND_PROCEDURES, NATIONAL_CATALOG, SANDBOX_PROVINCE } from '../../sandbox/catalog';
import { resolveConfig, type GatewayConfig } from '../../contracts';
import { toVnIso } from '../lib/time';

/**
 * Zero-configuration mode: the sandbox simulators on loopback and a configuration that points at
 * them. The same configuration (as a file, secrets in named environment variables) drives the
 * end-to-end tests.
 */
/** The console login of the zero-configuration sandbox (never of a configured gateway). */
export const SANDBOX_ADMIN = { username: 'admin', password: 'sandbox-admin' } as const;

export const SANDBOX_SECRET_ENV = {
  LIENTHONG_CIVIL_STATUS_PASSWORD: 'civilStatus',
  LIENTHONG_PROVINCE_CLIENT_SECRET: 'province',
  LIENTHONG_DVCQG_PASSWORD: 'dvcqg',
  LIENTHONG_LAND_SECURITY_CODE: 'land',
  LIENTHONG_BUSINESS_PASSWORD: 'business',
} as const;

export function sandboxConfigFile(sandbox: RunningSandbox, options: { pollIntervalSeconds?: number; startFrom?: string; reorderWindowSeconds?: number } = {}) {
  const c = sandbox.credentials;
  return {
    database: { file: './data/lienthong.db' },
    province: { code: SANDBOX_PROVINCE, name: 'Thanh Hóa (sandbox)' },
    holidays: [],
    procedures: Object.fromEntries(
      Object.entries(NATIONAL_CATALOG).map(([code, e]) => [code, { name: e.name, sectorCode: e.sectorCode, sectorName: e.sectorName, statutoryDays: e.statutoryDays }]),
    ),
    sources: {
      'civil-status': {
        baseUrl: sandbox.civilStatus.url,
        userName: c.civilStatus.userName,
        passwordEnv: 'LIENTHONG_CIVIL_STATUS_PASSWORD',
        pollIntervalSeconds: options.pollIntervalSeconds ?? 3,
        overlapSeconds: 60,
        startFrom: options.startFrom ?? toVnIso(Date.now() - 3600_000),
        procedureMap: { ...CIVIL_STATUS_PROCEDURES },
      },
      land: {
        securityCodeEnv: 'LIENTHONG_LAND_SECURITY_CODE',
        office: { ...c.land.office },
        // The simulator holds a reordered event back for seconds, not the real system's minutes.
        reorderWindowSeconds: options.reorderWindowSeconds ?? 5,
        procedureMap: { ...LAND_PROCEDURES },
      },
      'business-registration': {
        baseUrl: sandbox.business.url,
        username: c.business.username,
        passwordEnv: 'LIENTHONG_BUSINESS_PASSWORD',
        pollIntervalSeconds: options.pollIntervalSeconds ?? 3,
        overlapSeconds: 60,
        startFrom: options.startFrom ?? toVnIso(Date.now() - 3600_000),
        procedureMap: { ...BUSINESS_PROCEDURES },
      },
    },
    targets: {
      province: { baseUrl: sandbox.province.url, clientId: c.province.clientId, clientSecretEnv: 'LIENTHONG_PROVINCE_CLIENT_SECRET' },
      dvcqg: {
        baseUrl: sandbox.dvcqg.url,
        username: c.dvcqg.username,
        passwordEnv: 'LIENTHONG_DVCQG_PASSWORD',
        madonvi: c.dvcqg.madonvi,
        dstcode: c.dvcqg.dstcode,
      },
    },
    delivery: { retryBudgetHours: 24, backoffBaseMs: 1000, backoffMaxMs: 30_000, leaseSeconds: 60, idlePollMs: 250 },
  };
}

export function sandboxSecrets(sandbox: RunningSandbox): Record<string, string> {
  const c = sandbox.credentials;
  return {
    LIENTHONG_CIVIL_STATUS_PASSWORD: c.civilStatus.password,
    LIENTHONG_PROVINCE_CLIENT_SECRET: c.province.clientSecret,
    LIENTHONG_DVCQG_PASSWORD: c.dvcqg.password,
    LIENTHONG_LAND_SECURITY_CODE: c.land.securityCode,
    LIENTHONG_BUSINESS_PASSWORD: c.business.password,
  };
}

export async function startSandboxGateway(
  env: Record<string, string | undefined>,
  options: StartSandboxOptions = {},
): Promise<{ config: GatewayConfig; describe(): string[]; attach(gatewayUrl: string): void; close(): Promise<void> }> {
  const sandbox = await startSandbox({ generator: { newPerMinute: 20, lifetimeMs: 60_000 }, ...options });
  const config = resolveConfig(sandboxConfigFile(sandbox), { ...sandboxSecrets(sandbox), ...env });
  return {
    config,
    describe: () => sandbox.describe(),
    // The land system pushes: it can only start once the gateway listens.
    attach: (gatewayUrl) => sandbox.land.sim.setTarget(gatewayUrl),
    close: () => sandbox.close(),
  };
}
