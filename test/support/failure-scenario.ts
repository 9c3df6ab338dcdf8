import type { RunningSandbox } from '../../sandbox';
import type { CivilStatusStatus } from '../../sandbox/civil-status/store';
import type { RequestRecord } from '../../sandbox/shared/request-log';
import { formatSlashed } from '../../sandbox/shared/time';
import { checkCivilStatus } from './check-civil-status';
import { signIn, waitFor, type GatewayProcess } from './gateway-process';
import { E2E_ADMIN_PASSWORD, type World } from './world';

/**
 * One failure mode at a time through the whole gateway: dossiers made at the civil-status
 * simulator with exactly the content a scenario needs, waits on what the targets hold (the same
 * checks as the other end-to-end suites, narrowed to one dossier), the simulators' request logs
 * from a mark on, and the gateway's operator API (problems, a dossier's deliveries, replay).
 */
export type TargetName = 'province' | 'dvcqg';

export interface ProblemSample {
  deliveryId: number;
  externalId: string;
  message: string;
}
export interface ProblemGroup {
  target: TargetName;
  state: 'failed' | 'dead';
  errorClass: string;
  errorCode: string;
  samples: ProblemSample[];
}
export interface DeliveryView {
  id: number;
  target: TargetName;
  state: string;
  inFlight: boolean;
  wantVersion: number;
  sentVersion: number | null;
  lastErrorClass: string | null;
  lastErrorCode: string | null;
  remoteId: string | null;
  remoteCode: string | null;
  history: { errorClass: string | null; errorCode: string | null; operations: string[] }[];
}

export interface NewDossier {
  /** The receiving agency's code instead of the commune's (a dossier of another province). */
  agency?: string;
  /** Cuts the requester's personal ID to 11 digits, as a typing slip at the source would. */
  badRequesterId?: boolean;
}

const QUIET = { ncr: 0, nfd: 0, unknownElements: 0, specialChars: 0 };

export class Scenario {
  readonly sandbox: RunningSandbox;
  private cookie = '';
  private marks = { province: 0, dvcqg: 0 };

  constructor(
    readonly world: World,
    readonly gateway: GatewayProcess,
  ) {
    this.sandbox = world.sandbox;
  }

  async signIn() {
    this.cookie = await signIn(this.gateway.url, 'admin', E2E_ADMIN_PASSWORD);
  }

  /** A received civil-status dossier in progress with one step, content kept plain. */
  newDossier(options: NewDossier = {}): string {
    const cs = this.sandbox.civilStatus.sim;
    const code = cs.generator.create({ unmappedShare: 0, pendingShare: 0, changes: [0, 0], finish: false, quirks: QUIET });
    if (options.agency || options.badRequesterId) {
      cs.state.update(code, (d) => {
        if (options.agency) d.maDonVi = options.agency;
        if (options.badRequesterId) {
          const before = d.data;
          d.data = d.data.replace(/<nycSoDinhDanh>(\d+)\d<\/nycSoDinhDanh>/, (_, id: string) => `<nycSoDinhDanh>${id.slice(0, 11)}</nycSoDinhDanh>`);
          if (d.data === before) throw new Error('the generated dossier has no requester ID to spoil');
        }
      });
    }
    return code;
  }

  /**
   * A clerk's new step at the source, in a later second than the dossier's last one (the portal
   * keys steps by second and status). Status 4 also issues the result.
   */
  async addStep(code: string, content: string, trangThai: CivilStatusStatus = 3) {
    const cs = this.sandbox.civilStatus.sim.state;
    const last = vnEpoch(cs.dossier(code)!.lichSu.at(-1)!.thoiGianThucHien);
    while (Math.floor(Date.now() / 1000) * 1000 <= last) await sleep(50);
    cs.update(code, (d) => {
      const at = Date.now();
      d.trangThai = trangThai;
      d.lichSu.push({ thoiGianThucHien: formatSlashed(at), nguoiXuLy: 'Phạm Thu Trang', chucDanh: 'Công chức tư pháp - hộ tịch', noiDungXuLy: content, trangThai });
      if (trangThai === 4) d.ketQuaXuLy = { soGiayTo: `${at % 100_000}/2026`, tenGiayTo: 'Trích lục', duongDan: `https://hotich.example/files/kq-${at}` };
    });
  }

  /** What is wrong with one dossier at the two targets ([] once it is held once, right, with every step once). */
  problemsOf(code: string): string[] {
    return checkCivilStatus(this.sandbox).problems.filter((p) => p.startsWith(`${code}:`));
  }

  /** Both targets hold the dossier right, and the gateway has recorded both deliveries as done (no retry to come). */
  async waitDelivered(code: string, timeoutMs = 60_000): Promise<void> {
    const done = async () => {
      if (this.problemsOf(code).length > 0) return false;
      const deliveries = await Promise.all((['province', 'dvcqg'] as const).map((t) => this.delivery(code, t)));
      return deliveries.every((d) => d.state === 'delivered' && !d.inFlight && d.sentVersion === d.wantVersion);
    };
    await waitFor(`${code} delivered to both targets`, done, timeoutMs, 200).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${[...this.problemsOf(code), ...(await this.deliveryStates(code))].join('\n')}`);
    });
  }

  /** The gateway's view of a dossier's deliveries, for failure messages. */
  async deliveryStates(code: string): Promise<string[]> {
    try {
      const view = await this.api<{ deliveries: DeliveryView[] }>(`/api/v1/dossiers/civil-status/${encodeURIComponent(code)}`);
      return view.deliveries.map((d) => `${d.target}: ${d.state} (${d.lastErrorClass ?? '-'} ${d.lastErrorCode ?? '-'})`);
    } catch (err) {
      return [(err as Error).message];
    }
  }

  provinceHeld(code: string) {
    return this.sandbox.province.sim.state.findBySource(code, 'civil-status');
  }

  provinceCopies(code: string) {
    return this.sandbox.province.sim.state.dossiers().filter((d) => d['HeThongNguon'] === 'civil-status' && d['MaHoSoNguon'] === code);
  }

  portalHeld(code: string) {
    const maHoSo = this.provinceHeld(code)?.maHoSo;
    return maHoSo === undefined ? undefined : this.sandbox.dvcqg.sim.state.dossier(maHoSo);
  }

  /** Starts the request logs' window: `since` lists what reached a simulator after this. */
  mark() {
    const last = (records: RequestRecord[]) => records.at(-1)?.seq ?? 0;
    this.marks = { province: last(this.sandbox.province.sim.requests()), dvcqg: last(this.sandbox.dvcqg.sim.requests()) };
  }

  since(target: TargetName): RequestRecord[] {
    return this.sandbox[target].sim.requests().filter((r) => r.seq > this.marks[target]);
  }

  /** Waits until every request that reached either target has been answered (a slow one included). */
  async settled() {
    await waitFor('every request to the targets answered', () => ['province', 'dvcqg'].every((t) => this.since(t as TargetName).every((r) => r.status !== 0)), 30_000, 100);
  }

  /**
   * Nothing retrying or in flight at either target, nothing pending at the province (deliveries
   * waiting for an operator aside; a portal delivery stays pending behind a province one that failed).
   */
  async idle() {
    await waitFor(
      'the gateway idle',
      async () => {
        const { targets } = await this.api<{ targets: Record<TargetName, { counts: Record<string, number> }> }>('/api/v1/sync/status');
        const busy = (t: TargetName) => (targets[t].counts['retrying'] ?? 0) + (targets[t].counts['inFlight'] ?? 0);
        return busy('province') + busy('dvcqg') + (targets.province.counts['pending'] ?? 0) === 0;
      },
      60_000,
      200,
    );
  }

  async api<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
    const res = await fetch(`${this.gateway.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { cookie: this.cookie, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The problem group sample of one dossier at one target, once the gateway shows it. */
  async waitProblem(code: string, target: TargetName, timeoutMs = 60_000): Promise<ProblemGroup & { sample: ProblemSample }> {
    return waitFor(
      `a problem for ${code} at ${target}`,
      async () => {
        const { deliveries } = await this.api<{ deliveries: ProblemGroup[] }>('/api/v1/problems?samples=500');
        for (const group of deliveries) {
          const sample = group.target === target ? group.samples.find((s) => s.externalId === code) : undefined;
          if (sample) return { ...group, sample };
        }
        return undefined;
      },
      timeoutMs,
      200,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${[...this.problemsOf(code), ...(await this.deliveryStates(code))].join('\n')}`);
    });
  }

  async delivery(code: string, target: TargetName): Promise<DeliveryView> {
    const view = await this.api<{ deliveries: DeliveryView[] }>(`/api/v1/dossiers/civil-status/${encodeURIComponent(code)}`);
    const found = view.deliveries.find((d) => d.target === target);
    if (!found) throw new Error(`${code} has no delivery to ${target}`);
    return found;
  }

  async replay(deliveryIds: number[]) {
    return this.api<{ replayed: number }>('/api/v1/deliveries/replay', { method: 'POST', json: { deliveryIds } });
  }

  /** Every fault off and the credentials the gateway was given back in place. */
  calm() {
    const { province, dvcqg, credentials } = this.sandbox;
    province.sim.setFaults(null);
    dvcqg.sim.setFaults(null);
    province.sim.setClientSecret(credentials.province.clientSecret);
    dvcqg.sim.setPassword(credentials.dvcqg.password);
  }
}

/** `dd/MM/yyyy HH:mm:ss` Vietnam time -> epoch ms. */
function vnEpoch(value: string): number {
  const [, d, mo, y, h, mi, s] = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(value)!.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h! - 7, mi!, s!);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
