import { canonicalDossier, type DvcqgTargetConfig, type ProcedureCatalog } from '../../contracts';
import {
  DVCQG_ERROR,
  dvcqgAnswer,
  dvcqgCatalogEntry,
  dvcqgHeldDossier,
  dvcqgItemResult,
  type DvcqgAnswer,
  type DvcqgHeldDossier,
} from '../../contracts/targets/dvcqg';
import { crashPoint } from '../lib/crash-point';
import { GatewayError, httpStatusError } from '../lib/errors';
import { contentHash } from '../lib/hash';
import { createHttpClient, jsonOf } from '../lib/http';
import { createRateLimiter } from '../lib/rate-limit';
import type { ClaimedDelivery, DeliveryProgress } from '../store/types';
import { dvcqgSteps, toDvcqgDossier, type CatalogNames } from './dvcqg-map';
import { missingSteps } from './steps';
import type { DeliveryOutcome, TargetClient } from './types';

const STEPS_PER_CALL = 10;
const DOSSIERS_PER_CALL = 50;

/**
 * The national portal. Calls are batched (50 dossiers, 10 steps), answers carry an error code per
 * item inside HTTP 200, the session lives in the body and expires, and "already exists" on a create
 * means the dossier is there: it is sent again as an update. Steps are keyed by the portal, so
 * sending one again replaces it: after an unclear failure the gateway simply sends again.
 */
export function createDvcqgClient(
  config: DvcqgTargetConfig,
  catalog: ProcedureCatalog,
  fetchImpl?: typeof fetch,
): TargetClient & { lookup(maHoSo: string): Promise<DvcqgHeldDossier | null> } {
  const http = createHttpClient({
    system: 'dvcqg',
    fetch: fetchImpl,
    timeoutMs: config.timeoutMs,
    limiter: createRateLimiter(config.requestsPerSecond),
  });
  const headers = { dstcode: config.dstcode };
  let session: string | undefined;
  let sessionRequest: Promise<string> | undefined;
  const names = new Map<string, CatalogNames>();

  async function login(): Promise<string> {
    const res = await http(`${config.baseUrl}/api/auth`, { method: 'POST', headers, json: { username: config.username, password: config.password } });
    if (res.status !== 200) throw httpStatusError('dvcqg', res.status, res.headers.get('retry-after'));
    const answer = dvcqgAnswer.safeParse(jsonOf(res));
    if (!answer.success) throw new GatewayError('transient', 'DVCQG_BAD_ANSWER', 'dvcqg answered the login with an unreadable body');
    if (answer.data.error_code !== DVCQG_ERROR.OK || !answer.data.session) {
      throw new GatewayError('configuration', 'DVCQG_LOGIN_FAILED', 'dvcqg refused the configured user name or password: fix targets.dvcqg credentials');
    }
    session = answer.data.session;
    return session;
  }

  /** The session in use; one login at a time, shared by every call that needs one. */
  function currentSession(): Promise<string> {
    if (session) return Promise.resolve(session);
    sessionRequest ??= login().finally(() => (sessionRequest = undefined));
    return sessionRequest;
  }

  /** One integration call; a session the portal no longer accepts is renewed once and the call repeated. */
  async function integration(service: string, payload: Record<string, unknown>): Promise<DvcqgAnswer> {
    for (let attempt = 0; ; attempt++) {
      // After a refused session this is the one another call has renewed meanwhile, if any.
      const used = await currentSession();
      const res = await http(`${config.baseUrl}/api/integration`, {
        method: 'POST',
        headers,
        json: { session: used, madonvi: config.madonvi, service, ...payload },
      });
      if (res.status !== 200) throw httpStatusError('dvcqg', res.status, res.headers.get('retry-after'));
      const answer = dvcqgAnswer.safeParse(jsonOf(res));
      if (!answer.success) throw new GatewayError('transient', 'DVCQG_BAD_ANSWER', `dvcqg answered ${service} with an unreadable body`, { ambiguous: true });
      const code = answer.data.error_code;
      if (code === DVCQG_ERROR.SESSION && attempt === 0) {
        if (session === used) session = undefined;
        continue;
      }
      if (code === DVCQG_ERROR.OK) return answer.data;
      const message = answer.data.message ?? '';
      if (code === DVCQG_ERROR.INTERNAL) throw new GatewayError('transient', 'DVCQG_99', `dvcqg internal error in ${service}: ${message}`, { ambiguous: true });
      if (code === DVCQG_ERROR.INVALID) throw new GatewayError('invalid_content', 'DVCQG_2', `dvcqg refused ${service}: ${message}`);
      if (code === DVCQG_ERROR.SESSION) throw new GatewayError('configuration', 'DVCQG_SESSION', 'dvcqg refused a fresh session');
      throw new GatewayError('rejected', `DVCQG_${code}`, `dvcqg refused ${service} (${code}): ${message}`);
    }
  }

  /** Names and sector as the national catalogue has them: the portal refuses any other. */
  async function catalogNames(code: string): Promise<CatalogNames> {
    const known = names.get(code);
    if (known) return known;
    const answer = await integration('LayThuTuc', { MaTTHC: code });
    const entry = dvcqgCatalogEntry.safeParse(answer.result?.[0]);
    if (!entry.success) {
      throw new GatewayError('invalid_content', 'DVCQG_UNKNOWN_PROCEDURE', `national procedure ${code} is not in the national catalogue (LayThuTuc): fix the mapping table`);
    }
    const sector = entry.data.LINHVUCTHUCHIEN[0];
    const found: CatalogNames = {
      name: entry.data.TENTTHC,
      sectorCode: sector?.MALINHVUC ?? catalog[code]?.sectorCode ?? '',
      sectorName: sector?.TENLINHVUC ?? catalog[code]?.sectorName ?? '',
    };
    names.set(code, found);
    return found;
  }

  async function lookup(maHoSo: string): Promise<DvcqgHeldDossier | null> {
    const answer = await integration('TraCuuHoSo', { MaHoSo: maHoSo });
    const held = answer.result?.[0];
    if (held === undefined) return null;
    const parsed = dvcqgHeldDossier.safeParse(held);
    if (!parsed.success) throw new GatewayError('transient', 'DVCQG_BAD_ANSWER', 'dvcqg answered TraCuuHoSo with an unreadable dossier');
    return parsed.data;
  }

  interface Prepared {
    work: ClaimedDelivery;
    progress: DeliveryProgress;
    ops: string[];
    maHoSo: string;
    body: unknown;
    hash: string;
    steps: { key: string; step: unknown }[];
    error?: GatewayError;
  }

  async function prepare(work: ClaimedDelivery): Promise<Prepared> {
    const progress: DeliveryProgress = { ...work.progress, remoteSteps: [...work.progress.remoteSteps], uncertain: false };
    const base = { work, progress, ops: [] as string[], maHoSo: work.upstreamCode ?? '', body: null, hash: '', steps: [] };
    try {
      const parsed = canonicalDossier.safeParse(work.dossier);
      if (!parsed.success) {
        throw new GatewayError('invalid_content', 'DOSSIER_INCOMPLETE', `the dossier is not complete enough to send: ${parsed.error.issues[0]?.path.join('.')}`);
      }
      if (!work.upstreamCode) throw new GatewayError('transient', 'DVCQG_NO_ONE_STOP_CODE', 'the province has not issued the one-stop code yet');
      const d = parsed.data;
      const body = toDvcqgDossier(d, work.upstreamCode, await catalogNames(d.procedure.nationalCode));
      return { ...base, body, hash: await contentHash(body), steps: dvcqgSteps(d, work.upstreamCode) };
    } catch (err) {
      return { ...base, error: asError(err) };
    }
  }

  function asError(err: unknown): GatewayError {
    return err instanceof GatewayError ? err : new GatewayError('transient', 'DVCQG_UNEXPECTED', `dvcqg delivery failed unexpectedly: ${(err as Error).message}`);
  }

  function itemError(code: number, message: string): GatewayError {
    if (code === DVCQG_ERROR.INVALID) return new GatewayError('invalid_content', 'DVCQG_ITEM_2', `dvcqg refused the dossier: ${message}`);
    if (code === DVCQG_ERROR.INTERNAL) return new GatewayError('transient', 'DVCQG_ITEM_99', `dvcqg internal error: ${message}`, { ambiguous: true });
    return new GatewayError('rejected', `DVCQG_ITEM_${code}`, `dvcqg refused the dossier (${code}): ${message}`);
  }

  /** Item error 2 "Hồ sơ không tồn tại": the portal does not hold the dossier (an update's or a step's). */
  const isNotHeld = (code: number, message: string) => code === DVCQG_ERROR.INVALID && /không tồn tại/i.test(message);

  /**
   * The portal lost the dossier (or never had it): the next attempt creates it again, and with it
   * every step, since none of those it held before is held any more.
   */
  function forgetHeld(progress: DeliveryProgress): GatewayError {
    progress.remoteCode = null;
    progress.remoteFieldsHash = null;
    progress.remoteSteps = [];
    return new GatewayError('transient', 'DVCQG_NOT_HELD', 'dvcqg does not hold the dossier; it will be created again');
  }

  /** Sends dossiers in calls of at most 50, recording each item's answer on it. */
  async function syncDossiers(items: Prepared[], updating: boolean): Promise<void> {
    for (let i = 0; i < items.length; i += Math.min(config.batchSize, DOSSIERS_PER_CALL)) {
      const batch = items.slice(i, i + Math.min(config.batchSize, DOSSIERS_PER_CALL));
      batch.forEach((p) => p.ops.push(updating ? 'update' : 'create'));
      let answer: DvcqgAnswer;
      try {
        answer = await integration('DongBoHoSoMC', { isUpdating: updating ? 'True' : 'False', data: batch.map((p) => p.body) });
      } catch (err) {
        batch.forEach((p) => (p.error = asError(err)));
        continue;
      }
      if (batch.length > 1) crashPoint('mid-batch-dvcqg');
      batch.forEach((p, index) => {
        const result = dvcqgItemResult.safeParse(answer.result?.[index]);
        if (!result.success) {
          p.error = new GatewayError('transient', 'DVCQG_NO_ITEM_RESULT', 'dvcqg did not answer for this dossier', { ambiguous: true });
          return;
        }
        const code = result.data.error_code;
        const message = result.data.message ?? '';
        if (code === DVCQG_ERROR.OK) {
          p.progress.remoteCode = p.maHoSo;
          p.progress.remoteFieldsHash = p.hash;
        } else if (!updating && (code === DVCQG_ERROR.EXISTS || code === DVCQG_ERROR.EXISTS_ALT)) {
          p.progress.remoteCode = p.maHoSo;
        } else if (updating && isNotHeld(code, message)) {
          p.error = forgetHeld(p.progress);
        } else {
          p.error = itemError(code, message);
        }
      });
    }
  }

  /**
   * The portal keys a step by (MaHoSo, ThoiDiemXuLy, TrangThai) and replaces one sent again, so the
   * order of the calls does not matter: they go out together (the rate limiter paces them), and a
   * batch's steps cost one call's wait instead of one per ten steps.
   */
  async function syncSteps(items: Prepared[]) {
    const queue = items.flatMap((p) => missingSteps(p.steps, p.progress.remoteSteps).map((s) => ({ p, ...s })));
    const calls: (typeof queue)[] = [];
    for (let i = 0; i < queue.length; i += STEPS_PER_CALL) {
      const batch = queue.slice(i, i + STEPS_PER_CALL).filter((s) => !s.p.error);
      if (batch.length === 0) continue;
      new Set(batch.map((s) => s.p)).forEach((p) => p.ops.push(`steps:${batch.filter((s) => s.p === p).length}`));
      calls.push(batch);
    }
    await Promise.all(calls.map(sendSteps));
  }

  async function sendSteps(batch: { p: Prepared; key: string; step: unknown }[]) {
    let answer: DvcqgAnswer;
    try {
      answer = await integration('CapNhatTienDoHoSoMC', { data: batch.map((s) => s.step) });
    } catch (err) {
      batch.forEach((s) => (s.p.error ??= asError(err)));
      return;
    }
    batch.forEach((s, index) => {
      const result = dvcqgItemResult.safeParse(answer.result?.[index]);
      if (!result.success) {
        s.p.error ??= new GatewayError('transient', 'DVCQG_NO_ITEM_RESULT', 'dvcqg did not answer for this step', { ambiguous: true });
      } else if (result.data.error_code === DVCQG_ERROR.OK) {
        s.p.progress.remoteSteps.push(s.key);
      } else if (isNotHeld(result.data.error_code, result.data.message ?? '')) {
        s.p.error ??= forgetHeld(s.p.progress);
      } else {
        s.p.error ??= itemError(result.data.error_code, result.data.message ?? '');
      }
    });
  }

  return {
    target: 'dvcqg',
    after: 'province',
    batchSize: Math.min(config.batchSize, DOSSIERS_PER_CALL),
    concurrency: config.concurrency,
    lookup,
    async deliver(work) {
      const prepared = await Promise.all(work.map(prepare));
      const ok = () => prepared.filter((p) => !p.error);
      // Creates first; what the portal already held ("already exists") is then among the updates.
      await syncDossiers(ok().filter((p) => !p.progress.remoteCode), false);
      await syncDossiers(ok().filter((p) => p.progress.remoteCode && p.progress.remoteFieldsHash !== p.hash), true);
      await syncSteps(ok());
      return prepared.map((p) => ({ id: p.work.id, progress: p.progress, operations: p.ops, ...(p.error ? { error: p.error } : {}) }));
    },
  };
}
