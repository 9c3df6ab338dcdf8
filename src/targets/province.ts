import { canonicalDossier, isTerminal, statusCode, type ProvinceTargetConfig } from '../../contracts';
import {
  provinceCreated,
  provinceError,
  provinceHeldDossier,
  provinceLookup,
  provinceStepsAnswer,
  provinceToken,
  type ProvinceDossierBody,
  type ProvinceHeldDossier,
} from '../../contracts/targets/province';
import { GatewayError, httpStatusError } from '../lib/errors';
import { contentHash } from '../lib/hash';
import { createHttpClient, jsonOf, type HttpRequest, type HttpResponse } from '../lib/http';
import { createRateLimiter } from '../lib/rate-limit';
import type { ClaimedDelivery, DeliveryProgress } from '../store/types';
import { fieldsOf, provinceSteps, toProvinceDossier, toProvinceStatus } from './province-map';
import { heldStepKey, missingSteps } from './steps';
import type { DeliveryOutcome, TargetClient } from './types';

const STEPS_PER_CALL = 20;

/**
 * A request that timed out may still be running at the province. Read back too soon, the dossier
 * would not show its effect yet, and the steps it carries would be sent again and held twice (the
 * province does not deduplicate them). So the next attempt waits at least as long again as the
 * request was given.
 */
function settleAfterTimeout(error: GatewayError, timeoutMs: number): GatewayError {
  return new GatewayError(error.errorClass, error.code, error.message, {
    retryAfterMs: Math.max(error.retryAfterMs ?? 0, timeoutMs),
    ambiguous: error.ambiguous,
    ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
    ...(error.detail !== undefined ? { detail: error.detail } : {}),
    cause: error.cause,
  });
}

/**
 * The provincial dossier system. It is not idempotent: steps are appended as sent and a create can
 * time out after it succeeded. So after any failure whose effect is unknown the delivery is marked
 * uncertain, and the next attempt reads what the province holds and sends only what it lacks.
 */
export function createProvinceClient(config: ProvinceTargetConfig, fetchImpl?: typeof fetch): TargetClient & {
  read(id: string): Promise<ProvinceHeldDossier>;
} {
  const http = createHttpClient({
    system: 'province',
    fetch: fetchImpl,
    timeoutMs: config.timeoutMs,
    limiter: createRateLimiter(config.requestsPerSecond),
  });
  let token: { value: string; expiresAt: number } | undefined;
  let tokenRequest: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const res = await http(`${config.baseUrl}/oauth/token`, {
      method: 'POST',
      form: { grant_type: 'client_credentials', client_id: config.clientId, client_secret: config.clientSecret },
    });
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new GatewayError('configuration', 'PROVINCE_AUTH_FAILED', 'province refused the client credentials: fix targets.province.clientId or its secret', {
        httpStatus: res.status,
      });
    }
    if (res.status !== 200) throw httpStatusError('province', res.status, res.headers.get('retry-after'));
    const answer = provinceToken.safeParse(jsonOf(res));
    if (!answer.success) throw new GatewayError('transient', 'PROVINCE_BAD_TOKEN', 'province answered the token call without a token');
    token = { value: answer.data.access_token, expiresAt: Date.now() + answer.data.expires_in * 1000 - 60_000 };
    return token.value;
  }

  /** One token request at a time, shared by every concurrent delivery. */
  function bearer(refresh = false): Promise<string> {
    if (!refresh && token && token.expiresAt > Date.now()) return Promise.resolve(token.value);
    tokenRequest ??= fetchToken().finally(() => (tokenRequest = undefined));
    return tokenRequest;
  }

  async function call(path: string, request: HttpRequest = {}): Promise<HttpResponse> {
    const send = async (t: string) =>
      http(`${config.baseUrl}${path}`, { ...request, headers: { ...request.headers, authorization: `Bearer ${t}` } });
    const first = await bearer();
    let res = await send(first);
    if (res.status === 401) {
      if (token?.value === first) token = undefined;
      res = await send(await bearer(true));
    }
    return res;
  }

  /** Turns an answer that is not the expected success into a typed error. */
  function failure(res: HttpResponse, op: string): GatewayError {
    const body = provinceError.safeParse(jsonOf(res));
    if (res.status === 400 && body.success) {
      const fields = (body.data.chiTiet ?? []).map((c) => `${c.truong}: ${c.loi}`).join('; ');
      return new GatewayError('invalid_content', `PROVINCE_${body.data.error}`, `province refused the ${op}: ${fields || body.data.error}`, {
        httpStatus: 400,
        detail: body.data.chiTiet,
      });
    }
    if (res.status === 404) {
      return new GatewayError('rejected', 'PROVINCE_NOT_FOUND', `province does not know the dossier (${op})`, { httpStatus: 404 });
    }
    if (res.status === 409 && body.success) {
      return new GatewayError('rejected', `PROVINCE_${body.data.error}`, `province refused the ${op}: ${body.data.error}`, { httpStatus: 409 });
    }
    return httpStatusError('province', res.status, res.headers.get('retry-after'));
  }

  async function lookup(body: ProvinceDossierBody) {
    const res = await call('/api/v1/hoso', { searchParams: { maHoSoNguon: body.MaHoSoNguon, heThongNguon: body.HeThongNguon } });
    if (res.status !== 200) throw failure(res, 'lookup');
    const found = provinceLookup.safeParse(jsonOf(res));
    if (!found.success) throw new GatewayError('transient', 'PROVINCE_BAD_ANSWER', 'province answered the lookup with an unreadable body');
    return found.data[0];
  }

  async function read(id: string): Promise<ProvinceHeldDossier> {
    const res = await call(`/api/v1/hoso/${id}`);
    if (res.status !== 200) throw failure(res, 'read');
    const held = provinceHeldDossier.safeParse(jsonOf(res));
    if (!held.success) throw new GatewayError('transient', 'PROVINCE_BAD_ANSWER', 'province answered the read with an unreadable body');
    return held.data;
  }

  /** What the province holds replaces what we believed; its fields are re-sent since we cannot compare them. */
  function adoptHeld(p: DeliveryProgress, held: ProvinceHeldDossier) {
    p.remoteStatus = held.TrangThai;
    p.remoteSteps = held.TienTrinh.map((s) => heldStepKey(s.ThoiDiemXuLy, s.TrangThai, s.NoiDungXuLy));
    p.remoteFieldsHash = null;
  }

  async function deliverOne(work: ClaimedDelivery): Promise<DeliveryOutcome> {
    const p: DeliveryProgress = { ...work.progress, remoteSteps: [...work.progress.remoteSteps] };
    const ops: string[] = [];
    try {
      const parsed = canonicalDossier.safeParse(work.dossier);
      if (!parsed.success) {
        throw new GatewayError('invalid_content', 'DOSSIER_INCOMPLETE', `the dossier is not complete enough to send: ${parsed.error.issues[0]?.path.join('.')}`);
      }
      const d = parsed.data;
      const body = toProvinceDossier(d);
      const fieldsHash = await contentHash(fieldsOf(body));
      const steps = provinceSteps(d);

      if (p.uncertain) {
        if (!p.remoteId) {
          ops.push('lookup');
          const found = await lookup(body);
          if (found) {
            p.remoteId = String(found.idHoSo);
            p.remoteCode = found.maHoSo;
            p.remoteFieldsHash = null;
          }
        }
        if (p.remoteId) {
          ops.push('read');
          try {
            adoptHeld(p, await read(p.remoteId));
          } catch (err) {
            if (!(err instanceof GatewayError && err.code === 'PROVINCE_NOT_FOUND')) throw err;
            // The province no longer holds it (removed behind our back): find it by its source code or create it again.
            p.remoteId = null;
            p.remoteStatus = null;
            p.remoteSteps = [];
            ops.push('lookup');
            const found = await lookup(body);
            if (found) {
              p.remoteId = String(found.idHoSo);
              p.remoteCode = found.maHoSo;
              ops.push('read');
              adoptHeld(p, await read(p.remoteId));
            }
          }
        }
        p.uncertain = false;
      }

      if (!p.remoteId) {
        ops.push('create');
        const res = await call('/api/v1/hoso', { method: 'POST', json: body });
        const created = provinceCreated.safeParse(jsonOf(res));
        if (res.status === 201 && created.success) {
          p.remoteId = String(created.data.idHoSo);
          p.remoteCode = created.data.maHoSo;
          p.remoteFieldsHash = fieldsHash;
          p.remoteStatus = body.TrangThai;
          p.remoteSteps = [];
        } else {
          const conflict = provinceError.safeParse(jsonOf(res));
          if (res.status === 409 && conflict.success && conflict.data.error === 'HOSO_DA_TON_TAI' && conflict.data.idHoSo !== undefined) {
            // An earlier create that timed out did succeed: adopt it and read what it holds.
            p.remoteId = String(conflict.data.idHoSo);
            p.remoteCode = conflict.data.maHoSo ?? null;
            ops.push('read');
            const held = await read(p.remoteId);
            p.remoteCode = held.maHoSo;
            adoptHeld(p, held);
          } else {
            throw failure(res, 'create');
          }
        }
      }
      const id = p.remoteId!;

      if (p.remoteFieldsHash !== fieldsHash) {
        // The fields change here; the status only through its own call, which keeps the province's
        // rules (a dossier closed there is not reopened by a field update). The body carries a
        // status all the same, and a clerk may have closed the dossier since we last looked: so its
        // status is read first, unless this attempt has just read it.
        if (!ops.includes('read')) {
          ops.push('read');
          adoptHeld(p, await read(id));
        }
        ops.push('update');
        const held = p.remoteStatus ?? body.TrangThai;
        const res = await call(`/api/v1/hoso/${id}`, { method: 'PUT', json: { ...body, TrangThai: held } });
        if (res.status !== 200) throw failure(res, 'update');
        p.remoteFieldsHash = fieldsHash;
        p.remoteStatus = held;
      }

      const missing = missingSteps(steps, p.remoteSteps);
      for (let i = 0; i < missing.length; i += STEPS_PER_CALL) {
        const chunk = missing.slice(i, i + STEPS_PER_CALL);
        ops.push(`steps:${chunk.length}`);
        const res = await call(`/api/v1/hoso/${id}/tien-trinh`, { method: 'POST', json: chunk.map((s) => s.step) });
        if (res.status !== 200) throw failure(res, 'progress steps');
        p.remoteSteps.push(...chunk.map((s) => s.key));
        const answer = provinceStepsAnswer.safeParse(jsonOf(res));
        // Someone else added steps too: check the whole list before the next write.
        if (!answer.success || answer.data.soBuoc !== p.remoteSteps.length) p.uncertain = true;
      }

      const wanted = statusCode(d.status);
      if (p.remoteStatus !== wanted) {
        ops.push('status');
        const res = await call(`/api/v1/hoso/${id}/trang-thai`, { method: 'PUT', json: toProvinceStatus(d) });
        if (res.status === 409) {
          ops.push('read');
          const held = await read(id);
          adoptHeld(p, held);
          p.remoteFieldsHash = fieldsHash;
          if (held.TrangThai !== wanted) {
            throw new GatewayError(
              'rejected',
              'PROVINCE_TRANG_THAI_KHONG_HOP_LE',
              `province holds the dossier in final status ${held.TrangThai} and refuses status ${wanted}${isTerminal(d.status) ? '' : ' (the source reopened a closed dossier)'}`,
              { httpStatus: 409 },
            );
          }
        } else if (res.status !== 200) {
          throw failure(res, 'status update');
        }
        p.remoteStatus = wanted;
      }
      return { id: work.id, progress: p, operations: ops };
    } catch (err) {
      let error =
        err instanceof GatewayError ? err : new GatewayError('transient', 'PROVINCE_UNEXPECTED', `province delivery failed unexpectedly: ${(err as Error).message}`);
      if (error.ambiguous) p.uncertain = true;
      if (error.code === 'PROVINCE_TIMEOUT') error = settleAfterTimeout(error, config.timeoutMs);
      return { id: work.id, progress: p, operations: ops, error };
    }
  }

  return {
    target: 'province',
    batchSize: 1,
    concurrency: config.concurrency,
    async deliver(work) {
      return Promise.all(work.map(deliverOne));
    },
    read,
  };
}
