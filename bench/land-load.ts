import { Agent, request } from 'node:http';
import type { BenchDossier } from './land-dossiers';

/**
 * The land system's side of the end-to-end benchmark: the callbacks sent straight from the
 * benchmark (not through the land simulator's pusher, whose concurrency and resend schedule would
 * shape the load), each dossier's events one after another, the next only once the previous was
 * answered `Result: 1`, as the land system's own order of work would have them. Nothing is resent:
 * a refused callback is counted, so that a system that loses changes shows it.
 *
 * Two shapes: `sendBatch` (as fast as the system takes them, `lanes` dossiers at a time, for a
 * fixed time) and `sendSteady` (a new dossier every 1/rate s, open loop, its events `gapMs` apart).
 */
export interface SendLog {
  /** When each event went out (epoch ms), by dossier code, in event order. */
  sentAt: Map<string, number[]>;
  refused: number;
  /** Refusals by reason (`HTTP 502`, `no answer`, ...). */
  refusals: Record<string, number>;
  /** Events answered `Result: 1`. */
  acknowledged: number;
  /** First send and last answer (epoch ms). */
  firstSentAt: number;
  lastAnsweredAt: number;
  /** How late sends went out against their schedule (steady shape only), ms, sorted. */
  lagMs: number[];
  /** Dossiers whose every event was answered `Result: 1`. */
  completed: BenchDossier[];
  /** Events never sent: their dossier's earlier event was refused, or (steady shape) the system fell too far behind. */
  notSent: number;
}

export interface LandSender {
  /** `ok`, or why the callback was not acknowledged (`HTTP 502: <its message>`, `no answer`). */
  send(event: string, body: string): Promise<string>;
  close(): void;
}

export function createLandSender(baseUrl: string, securityCode: string): LandSender {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const prefix = `/ingest/land/${encodeURIComponent(securityCode)}/`;
  return {
    send(event, body) {
      const attempt = (again: boolean) =>
        new Promise<string>((resolve) => {
          const req = request(
            {
              host: url.hostname,
              port: url.port,
              method: 'POST',
              path: `${prefix}${event}`,
              agent,
              headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                let answer: { Result?: unknown; Message?: unknown } = {};
                try {
                  answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof answer;
                } catch {
                  // counted below as not acknowledged
                }
                if (res.statusCode === 200 && answer.Result === 1) return resolve('ok');
                // The systems' messages name a call and a status, never the dossier's content.
                resolve(`HTTP ${res.statusCode}: ${String(answer.Message ?? 'unreadable answer').slice(0, 80)}`);
              });
              res.on('error', () => resolve('no answer'));
            },
          );
          req.setTimeout(30_000, () => req.destroy());
          req.on('error', (err: NodeJS.ErrnoException) => {
            // A kept-alive connection the server had just closed: the request never reached it, so
            // it goes once more (the remedy Node documents; not a resend of a refused callback).
            if (!again && req.reusedSocket && err.code === 'ECONNRESET') resolve(attempt(true));
            else resolve('no answer');
          });
          req.end(body);
        });
      return attempt(false);
    },
    close: () => agent.destroy(),
  };
}

function newLog(): SendLog {
  return { sentAt: new Map(), refused: 0, refusals: {}, acknowledged: 0, firstSentAt: Infinity, lastAnsweredAt: 0, lagMs: [], completed: [], notSent: 0 };
}

interface Schedule {
  dueAt(index: number): number;
  /** An event that could only go out this much after its due time is not sent (nor the dossier's later ones). */
  giveUpLateMs: number;
}

async function sendDossier(sender: LandSender, d: BenchDossier, log: SendLog, schedule?: Schedule) {
  const times: number[] = [];
  log.sentAt.set(d.code, times);
  for (const [i, e] of d.events.entries()) {
    if (schedule) {
      const due = schedule.dueAt(i);
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const late = Date.now() - due;
      if (late > schedule.giveUpLateMs) {
        log.notSent += d.events.length - i;
        return;
      }
      log.lagMs.push(Math.max(0, late));
    }
    const at = Date.now();
    times.push(at);
    log.firstSentAt = Math.min(log.firstSentAt, at);
    const outcome = await sender.send(e.event, e.body);
    log.lastAnsweredAt = Math.max(log.lastAnsweredAt, Date.now());
    // A refused event is not resent, and the dossier's later events make no sense without it.
    if (outcome !== 'ok') {
      log.refused++;
      log.refusals[outcome] = (log.refusals[outcome] ?? 0) + 1;
      log.notSent += d.events.length - i - 1;
      return;
    }
    log.acknowledged++;
  }
  log.completed.push(d);
}

/** `lanes` senders take the pool's dossiers one by one until `offerMs` has passed; a dossier begun is sent to its end. */
export async function sendBatch(sender: LandSender, pool: readonly BenchDossier[], options: { lanes: number; offerMs: number }): Promise<SendLog> {
  const log = newLog();
  const until = Date.now() + options.offerMs;
  let next = 0;
  await Promise.all(
    Array.from({ length: options.lanes }, async () => {
      while (next < pool.length && Date.now() < until) await sendDossier(sender, pool[next++]!, log);
    }),
  );
  return log;
}

/** A new dossier every 1/perSecond s, open loop; its events `gapMs` apart, each after the previous one's answer. */
export async function sendSteady(sender: LandSender, dossiers: readonly BenchDossier[], options: { perSecond: number; gapMs: number; giveUpLateMs: number }): Promise<SendLog> {
  const log = newLog();
  const start = Date.now() + 50;
  const every = 1000 / options.perSecond;
  await Promise.all(
    dossiers.map((d, n) => sendDossier(sender, d, log, { dueAt: (i) => start + n * every + i * options.gapMs, giveUpLateMs: options.giveUpLateMs })),
  );
  log.lagMs.sort((a, b) => a - b);
  return log;
}
