import { createBusinessSimulator, type BusinessSimulator, type BusinessSimulatorOptions } from './business-registration';
import { createCivilStatusSimulator, type CivilStatusSimulator, type CivilStatusSimulatorOptions } from './civil-status';
import { SANDBOX_CREDENTIALS } from './credentials';
import { createDvcqgSimulator, type DvcqgSimulator, type DvcqgSimulatorOptions } from './dvcqg';
import { createLandSimulator, type LandSimulator, type LandSimulatorOptions } from './land';
import { createProvinceSimulator, type ProvinceSimulator, type ProvinceSimulatorOptions } from './province';
import type { Listening } from './shared/server';

/**
 * The sandbox: the simulated world the gateway lives in (the two targets and the three sources).
 * `startSandbox` is what the gateway's zero-configuration mode and the end-to-end tests call;
 * `npm run sandbox` (main.ts) runs it alone.
 */
export interface StartSandboxOptions {
  host?: string;
  /** 0 (the default) takes any free port. */
  ports?: { province?: number; dvcqg?: number; civilStatus?: number; land?: number; business?: number };
  /** Base seed; each simulator derives its own. */
  seed?: number;
  /**
   * The demo streams of the three sources: new dossiers per minute each, and how long each lives.
   * False leaves every source empty (tests drive the generators themselves). Default 6 per minute.
   */
  generator?: false | { newPerMinute: number; lifetimeMs?: number };
  province?: ProvinceSimulatorOptions;
  dvcqg?: DvcqgSimulatorOptions;
  civilStatus?: CivilStatusSimulatorOptions;
  land?: LandSimulatorOptions;
  business?: BusinessSimulatorOptions;
}

export interface RunningSimulator<S> {
  url: string;
  sim: S;
}

export interface SandboxCredentials {
  province: { clientId: string; clientSecret: string };
  dvcqg: { username: string; password: string; madonvi: string; dstcode: string; provinceCode: string };
  civilStatus: { userName: string; password: string };
  land: { securityCode: string; office: { code: string; name: string } };
  business: { username: string; password: string };
}

export interface RunningSandbox {
  province: RunningSimulator<ProvinceSimulator>;
  dvcqg: RunningSimulator<DvcqgSimulator>;
  civilStatus: RunningSimulator<CivilStatusSimulator>;
  /** The land system pushes: point it at the gateway with `land.sim.setTarget(url)`. */
  land: RunningSimulator<LandSimulator>;
  business: RunningSimulator<BusinessSimulator>;
  credentials: SandboxCredentials;
  /** Human-readable lines: each system's URL and credentials. */
  describe(): string[];
  close(): Promise<void>;
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const seed = options.seed ?? 20260302;
  const defaults = SANDBOX_CREDENTIALS;
  const credentials: SandboxCredentials = {
    province: {
      clientId: options.province?.clientId ?? defaults.province.clientId,
      clientSecret: options.province?.clientSecret ?? defaults.province.clientSecret,
    },
    dvcqg: {
      username: options.dvcqg?.username ?? defaults.dvcqg.username,
      password: options.dvcqg?.password ?? defaults.dvcqg.password,
      madonvi: defaults.dvcqg.madonvi,
      dstcode: options.dvcqg?.dstcode ?? defaults.dvcqg.dstcode,
      provinceCode: options.dvcqg?.provinceCode ?? defaults.dvcqg.provinceCode,
    },
    civilStatus: {
      userName: options.civilStatus?.userName ?? defaults.civilStatus.userName,
      password: options.civilStatus?.password ?? defaults.civilStatus.password,
    },
    land: { securityCode: options.land?.securityCode ?? defaults.land.securityCode, office: { ...defaults.land.office } },
    business: {
      username: options.business?.username ?? defaults.business.username,
      password: options.business?.password ?? defaults.business.password,
    },
  };
  const province = createProvinceSimulator({ seed: seed + 1, ...options.province });
  const dvcqg = createDvcqgSimulator({ seed: seed + 2, ...options.dvcqg });
  const civilStatus = createCivilStatusSimulator({ seed: seed + 3, ...options.civilStatus });
  const land = createLandSimulator({ seed: seed + 4, ...options.land });
  const business = createBusinessSimulator({ seed: seed + 5, ...options.business });
  const host = options.host ?? '127.0.0.1';
  const listening: Listening[] = [];
  try {
    listening.push(await province.listen({ host, port: options.ports?.province ?? 0 }));
    listening.push(await dvcqg.listen({ host, port: options.ports?.dvcqg ?? 0 }));
    listening.push(await civilStatus.listen({ host, port: options.ports?.civilStatus ?? 0 }));
    listening.push(await land.listen({ host, port: options.ports?.land ?? 0 }));
    listening.push(await business.listen({ host, port: options.ports?.business ?? 0 }));
  } catch (err) {
    land.stop();
    await Promise.all(listening.map((l) => l.close()));
    throw err;
  }
  const [p, d, c, l, b] = listening as [Listening, Listening, Listening, Listening, Listening];
  if (options.generator !== false) {
    const stream = options.generator ?? { newPerMinute: 6 };
    civilStatus.generator.start(stream);
    land.generator.start(stream);
    business.generator.start(stream);
  }

  return {
    province: { url: p.url, sim: province },
    dvcqg: { url: d.url, sim: dvcqg },
    civilStatus: { url: c.url, sim: civilStatus },
    land: { url: l.url, sim: land },
    business: { url: b.url, sim: business },
    credentials,
    describe: () => [
      `province (provincial dossier system)  ${p.url}  client_id=${credentials.province.clientId} client_secret=${credentials.province.clientSecret}`,
      `dvcqg (national portal)               ${d.url}  username=${credentials.dvcqg.username} password=${credentials.dvcqg.password} madonvi=${credentials.dvcqg.madonvi} dstcode=${credentials.dvcqg.dstcode}`,
      `civil-status (hộ tịch điện tử)        ${c.url}  userName=${credentials.civilStatus.userName} password=${credentials.civilStatus.password}`,
      `land (VBDLIS, pushes callbacks)       ${l.url}  securityCode=${credentials.land.securityCode} target=${land.target() ?? '(none yet: PUT /__sandbox/target)'}`,
      `business-registration (SOAP)          ${b.url}/ws/HoSoDangKy  username=${credentials.business.username} password=${credentials.business.password}`,
      `behind each: GET /__sandbox/state, GET|PUT /__sandbox/faults, POST /__sandbox/reset`,
    ],
    async close() {
      civilStatus.generator.stop();
      business.generator.stop();
      land.stop();
      await Promise.all(listening.map((x) => x.close()));
    },
  };
}

export { createProvinceSimulator, createDvcqgSimulator, createCivilStatusSimulator, createLandSimulator, createBusinessSimulator };
export type {
  ProvinceSimulator,
  ProvinceSimulatorOptions,
  DvcqgSimulator,
  DvcqgSimulatorOptions,
  CivilStatusSimulator,
  CivilStatusSimulatorOptions,
  LandSimulator,
  LandSimulatorOptions,
  BusinessSimulator,
  BusinessSimulatorOptions,
};
export * from './credentials';
export type { FaultConfig, FaultKind, FaultCounts } from './shared/faults';
export type { Listening, ListenOptions } from './shared/server';
