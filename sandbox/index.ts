import { createCivilStatusSimulator, type CivilStatusSimulator, type CivilStatusSimulatorOptions, type GeneratorStartOptions } from './civil-status';
import { SANDBOX_CREDENTIALS } from './credentials';
import { createDvcqgSimulator, type DvcqgSimulator, type DvcqgSimulatorOptions } from './dvcqg';
import { createProvinceSimulator, type ProvinceSimulator, type ProvinceSimulatorOptions } from './province';
import type { Listening } from './shared/server';

/**
 * The sandbox: the simulated world the gateway lives in. `startSandbox` is what the gateway's
 * zero-configuration mode and the end-to-end tests call; `npm run sandbox` (main.ts) runs it alone.
 */
export interface StartSandboxOptions {
  host?: string;
  /** 0 (the default) takes any free port. */
  ports?: { province?: number; dvcqg?: number; civilStatus?: number };
  /** Base seed; each simulator derives its own. */
  seed?: number;
  /** The civil-status demo stream; false leaves the civil-status system empty. Default 6 new dossiers per minute. */
  generator?: false | GeneratorStartOptions;
  province?: ProvinceSimulatorOptions;
  dvcqg?: DvcqgSimulatorOptions;
  civilStatus?: CivilStatusSimulatorOptions;
}

export interface RunningSimulator<S> {
  url: string;
  sim: S;
}

export interface SandboxCredentials {
  province: { clientId: string; clientSecret: string };
  dvcqg: { username: string; password: string; madonvi: string; dstcode: string; provinceCode: string };
  civilStatus: { userName: string; password: string };
}

export interface RunningSandbox {
  province: RunningSimulator<ProvinceSimulator>;
  dvcqg: RunningSimulator<DvcqgSimulator>;
  civilStatus: RunningSimulator<CivilStatusSimulator>;
  credentials: SandboxCredentials;
  /** Human-readable lines: each system's URL and credentials. */
  describe(): string[];
  close(): Promise<void>;
}

export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const seed = options.seed ?? 20260302;
  const credentials: SandboxCredentials = {
    province: {
      clientId: options.province?.clientId ?? SANDBOX_CREDENTIALS.province.clientId,
      clientSecret: options.province?.clientSecret ?? SANDBOX_CREDENTIALS.province.clientSecret,
    },
    dvcqg: {
      username: options.dvcqg?.username ?? SANDBOX_CREDENTIALS.dvcqg.username,
      password: options.dvcqg?.password ?? SANDBOX_CREDENTIALS.dvcqg.password,
      madonvi: SANDBOX_CREDENTIALS.dvcqg.madonvi,
      dstcode: options.dvcqg?.dstcode ?? SANDBOX_CREDENTIALS.dvcqg.dstcode,
      provinceCode: options.dvcqg?.provinceCode ?? SANDBOX_CREDENTIALS.dvcqg.provinceCode,
    },
    civilStatus: {
      userName: options.civilStatus?.userName ?? SANDBOX_CREDENTIALS.civilStatus.userName,
      password: options.civilStatus?.password ?? SANDBOX_CREDENTIALS.civilStatus.password,
    },
  };
  const province = createProvinceSimulator({ seed: seed + 1, ...options.province });
  const dvcqg = createDvcqgSimulator({ seed: seed + 2, ...options.dvcqg });
  const civilStatus = createCivilStatusSimulator({ seed: seed + 3, ...options.civilStatus });
  const host = options.host ?? '127.0.0.1';
  const listening: Listening[] = [];
  try {
    listening.push(await province.listen({ host, port: options.ports?.province ?? 0 }));
    listening.push(await dvcqg.listen({ host, port: options.ports?.dvcqg ?? 0 }));
    listening.push(await civilStatus.listen({ host, port: options.ports?.civilStatus ?? 0 }));
  } catch (err) {
    await Promise.all(listening.map((l) => l.close()));
    throw err;
  }
  const [p, d, c] = listening as [Listening, Listening, Listening];
  if (options.generator !== false) civilStatus.generator.start(options.generator ?? { newPerMinute: 6 });

  return {
    province: { url: p.url, sim: province },
    dvcqg: { url: d.url, sim: dvcqg },
    civilStatus: { url: c.url, sim: civilStatus },
    credentials,
    describe: () => [
      `province (provincial dossier system)  ${p.url}  client_id=${credentials.province.clientId} client_secret=${credentials.province.clientSecret}`,
      `dvcqg (national portal)               ${d.url}  username=${credentials.dvcqg.username} password=${credentials.dvcqg.password} madonvi=${credentials.dvcqg.madonvi} dstcode=${credentials.dvcqg.dstcode}`,
      `civil-status (hộ tịch điện tử)        ${c.url}  userName=${credentials.civilStatus.userName} password=${credentials.civilStatus.password}`,
      `behind each: GET /__sandbox/state, GET|PUT /__sandbox/faults, POST /__sandbox/reset`,
    ],
    async close() {
      civilStatus.generator.stop();
      await Promise.all(listening.map((l) => l.close()));
    },
  };
}

export { createProvinceSimulator, createDvcqgSimulator, createCivilStatusSimulator };
export type { ProvinceSimulator, ProvinceSimulatorOptions, DvcqgSimulator, DvcqgSimulatorOptions, CivilStatusSimulator, CivilStatusSimulatorOptions };
export * from './credentials';
export type { FaultConfig, FaultKind, FaultCounts } from './shared/faults';
export type { Listening, ListenOptions } from './shared/server';
