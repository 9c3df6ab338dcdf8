import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { TargetSystem } from '../../contracts';
import { writeCrashLinesWith } from '../lib/crash-point';
import { createDvcqgClient } from '../targets/dvcqg';
import { createProvinceClient } from '../targets/province';
import { outcomesToWire, toWire, workFromWire, type CallMessage, type ClientShape, type TargetThreadData, type ThreadMessage, type WireWork } from './target-calls';
import { createUndiciFetch } from './undici-fetch';

/** The target thread (see target-calls.ts): the province and portal clients, called by message. */
const port = parentPort!;
// A crash point reached here (mid-batch-dvcqg) names itself on stderr before the kill, synchronously.
writeCrashLinesWith((line) => writeSync(2, line));
const data = workerData as TargetThreadData;
const transport = createUndiciFetch();
const clients = {
  province: createProvinceClient(data.province, transport),
  dvcqg: createDvcqgClient(data.dvcqg, data.procedures, transport),
};

const shape = (c: ClientShape): ClientShape => ({ target: c.target, ...(c.after ? { after: c.after } : {}), batchSize: c.batchSize, concurrency: c.concurrency });
const send = (m: ThreadMessage) => port.postMessage(m);

async function run(m: CallMessage): Promise<unknown> {
  if (m.target === 'province' && m.method === 'read') return clients.province.read(m.args[0] as string);
  if (m.target === 'dvcqg' && m.method === 'lookup') return clients.dvcqg.lookup(m.args[0] as string);
  if (m.method === 'deliver') return outcomesToWire(await clients[m.target].deliver((m.args[0] as WireWork[]).map(workFromWire)));
  throw new Error(`no method ${m.method} on the ${m.target} client`);
}

port.on('message', (m: CallMessage | { kind: 'close' }) => {
  if (m.kind === 'close') {
    port.close();
    void transport.close();
    return;
  }
  run(m).then(
    (value) => send({ kind: 'result', id: m.id, value }),
    (err: unknown) => send({ kind: 'error', id: m.id, error: toWire(err) }),
  );
});

send({ kind: 'ready', clients: { province: shape(clients.province), dvcqg: shape(clients.dvcqg) } as Record<TargetSystem, ClientShape> });
