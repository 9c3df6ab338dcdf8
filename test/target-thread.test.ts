import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalDossier } from '../contracts';
import { createDvcqgSimulator, createProvinceSimulator, type Listening, SANDBOX_CREDENTIALS } from '../sandbox';
import { NATIONAL_CATALOG } from '../sandbox/catalog';
import { GatewayError } from '../src/lib/errors';
import { createLogger } from '../src/lib/log';
import { startTargetThread, type TargetThread, type TargetThreadData } from '../src/runtime/target-calls';
import { createUndiciFetch } from '../src/runtime/undici-fetch';
import type { ClaimedDelivery } from '../src/store/types';
import { createDvcqgClient } from '../src/targets/dvcqg';
import { createProvinceClient } from '../src/targets/province';
import { makeDossier } from './support/dossier';

/**
 * The target clients on their own thread (the Node runtime's way): calls and answers cross the
 * boundary intact, failures keep their class, and a thread that dies costs only its calls, which
 * come back failed and ambiguous, while a new thread takes the next ones.
 */
function work(id: number): ClaimedDelivery {
  const externalId = `HT-380-2603-${String(id).padStart(6, '0')}`;
  const dossier = canonicalDossier.parse({
    ...makeDossier({ source: { system: 'civil-status', externalId }, sourceCode: externalId }),
    version: 1,
  });
  const progress = { remoteId: null, remoteCode: null, remoteStatus: null, remoteFieldsHash: null, remoteSteps: [], uncertain: false };
  return { id, dossierId: id, target: 'province', version: 1, dossier, holdReason: null, progress, attempts: 0, firstFailedAt: null, upstreamCode: null };
}

const lines: string[] = [];
const logger = createLogger((line) => lines.push(line), 'info');
const province = createProvinceSimulator({ rateLimitPerSecond: 0 });
const dvcqg = createDvcqgSimulator({ rateLimitPerSecond: 0 });
let servers: Listening[] = [];
let data: TargetThreadData;

beforeAll(async () => {
  servers = [await province.listen(), await dvcqg.listen()];
  const creds = SANDBOX_CREDENTIALS;
  data = {
    province: { baseUrl: servers[0]!.url, clientId: creds.province.clientId, clientSecret: creds.province.clientSecret, requestsPerSecond: 1000, concurrency: 4, timeoutMs: 1_000 },
    dvcqg: {
      baseUrl: servers[1]!.url,
      username: creds.dvcqg.username,
      password: creds.dvcqg.password,
      madonvi: creds.dvcqg.madonvi,
      dstcode: creds.dvcqg.dstcode,
      requestsPerSecond: 1000,
      batchSize: 50,
      concurrency: 2,
      timeoutMs: 1_000,
    },
    procedures: Object.fromEntries(Object.entries(NATIONAL_CATALOG).map(([k, v]) => [k, { name: v.name, sectorCode: v.sectorCode, sectorName: v.sectorName }])),
  } as TargetThreadData;
});
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('target thread', () => {
  let thread: TargetThread;
  beforeAll(async () => {
    thread = await startTargetThread(data, logger);
  });
  afterAll(() => thread.close());

  it('has the clients the configuration makes, and delivers through them', async () => {
    const local = createProvinceClient(data.province);
    expect({ ...thread.targets.province, deliver: 0, read: 0 }).toEqual({ target: 'province', batchSize: local.batchSize, concurrency: local.concurrency, deliver: 0, read: 0 });
    expect(thread.targets.dvcqg.after).toBe('province');
    expect(thread.targets.dvcqg.batchSize).toBe(createDvcqgClient(data.dvcqg, data.procedures).batchSize);

    const [outcome] = await thread.targets.province.deliver([work(1)]);
    expect(outcome!.error).toBeUndefined();
    expect(outcome!.operations).toEqual(['create', 'steps:1']);
    expect(province.state.findBySource('HT-380-2603-000001', 'civil-status')).toBeDefined();
    const held = await thread.targets.province.read(outcome!.progress.remoteId!);
    expect(held.TienTrinh).toHaveLength(1);
    expect(await thread.targets.dvcqg.lookup('000.00.16.H56-260302-9999')).toBeNull();
  });

  it('sends a stored dossier as its text, never parsing it on the gateway thread', async () => {
    const w = work(4);
    const stored = JSON.stringify(w.dossier);
    const { dossier: _parsed, ...fields } = w;
    const asClaimed: ClaimedDelivery = {
      ...fields,
      canonical: stored,
      get dossier(): never {
        throw new Error('the dossier was parsed on the gateway thread');
      },
    };
    const [outcome] = await thread.targets.province.deliver([asClaimed]);
    expect(outcome!.error).toBeUndefined();
    expect(province.state.findBySource('HT-380-2603-000004', 'civil-status')).toBeDefined();
  });

  it('keeps a failure as the client gave it: class, code, retry and ambiguity', async () => {
    const local = createProvinceClient(data.province);
    const inProcess = await local.read('no-such-dossier').catch((e: unknown) => e);
    const threaded = await thread.targets.province.read('no-such-dossier').catch((e: unknown) => e);
    expect(inProcess).toBeInstanceOf(GatewayError);
    expect(threaded).toBeInstanceOf(GatewayError);
    const fields = (e: GatewayError) => ({ errorClass: e.errorClass, code: e.code, message: e.message, retryable: e.retryable, ambiguous: e.ambiguous, httpStatus: e.httpStatus });
    expect(fields(threaded as GatewayError)).toEqual(fields(inProcess as GatewayError));

    // No answer at all: a delivery's error crosses inside its outcome.
    const unreachable = await startTargetThread({ ...data, province: { ...data.province, baseUrl: 'http://127.0.0.1:9' } }, logger);
    try {
      const [viaThread] = await unreachable.targets.province.deliver([work(2)]);
      // The thread's transport, as the gateway used it before the thread.
      const transport = createUndiciFetch();
      const [viaLocal] = await createProvinceClient({ ...data.province, baseUrl: 'http://127.0.0.1:9' }, transport).deliver([work(2)]);
      await transport.close();
      expect(viaThread!.error).toBeInstanceOf(GatewayError);
      expect(fields(viaThread!.error!)).toEqual(fields(viaLocal!.error!));
      expect(viaThread!.progress).toEqual(viaLocal!.progress);
    } finally {
      await unreachable.close();
    }
  });
});

/** Runs `check` over threads that die on their first call, then fail to start `failedStarts` times (test/support/dying-target-thread.ts). */
async function withDyingThread(failedStarts: number, check: (thread: TargetThread) => Promise<void>) {
  process.env['LIENTHONG_TEST_DYING_MARKER'] = join(mkdtempSync(join(tmpdir(), 'lienthong-thread-')), 'died');
  process.env['LIENTHONG_TEST_FAILED_STARTS'] = String(failedStarts);
  lines.length = 0;
  const thread = await startTargetThread(data, logger, { entry: new URL('./support/dying-target-thread.ts', import.meta.url) });
  try {
    await check(thread);
  } finally {
    await thread.close();
    delete process.env['LIENTHONG_TEST_DYING_MARKER'];
    delete process.env['LIENTHONG_TEST_FAILED_STARTS'];
  }
}

describe('a target thread that dies', () => {
  it('reports its calls failed and ambiguous, and a new thread takes the next ones', async () => {
    await withDyingThread(0, async (thread) => {
      const [lost] = await thread.targets.province.deliver([work(3)]);
      expect(lost!.error).toBeInstanceOf(GatewayError);
      expect(lost!.error).toMatchObject({ errorClass: 'transient', code: 'TARGET_THREAD_STOPPED', ambiguous: true });
      expect(lost!.progress.uncertain).toBe(true);
      expect(lines.some((l) => l.includes('target thread stopped'))).toBe(true);

      const [next] = await thread.targets.province.deliver([work(3)]);
      expect(next!.error).toBeUndefined();
      expect(province.state.findBySource('HT-380-2603-000003', 'civil-status')).toBeDefined();
    });
  });

  it('fails calls with nothing sent while no thread runs, and keeps trying to start one', async () => {
    await withDyingThread(1, async (thread) => {
      const [lost] = await thread.targets.province.deliver([work(5)]);
      expect(lost!.error).toMatchObject({ code: 'TARGET_THREAD_STOPPED', ambiguous: true });

      // The next thread exits before it is ready: these calls are never sent, and say so.
      const [[unsent], unread] = await Promise.all([thread.targets.province.deliver([work(5)]), thread.targets.province.read('x').catch((e: unknown) => e)]);
      expect(unsent!.error).toBeInstanceOf(GatewayError);
      expect(unsent!.error).toMatchObject({ errorClass: 'transient', code: 'TARGET_THREAD_UNAVAILABLE', ambiguous: false });
      expect(unsent!.progress.uncertain).toBe(false);
      expect(unread).toMatchObject({ code: 'TARGET_THREAD_UNAVAILABLE' });
      expect(lines.some((l) => l.includes('target thread did not start; trying again'))).toBe(true);

      // The one after is started a second later and takes the calls.
      const [next] = await thread.targets.province.deliver([work(5)]);
      expect(next!.error).toBeUndefined();
      expect(province.state.findBySource('HT-380-2603-000005', 'civil-status')).toBeDefined();
    });
  });
});
