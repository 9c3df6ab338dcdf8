import type { Store } from '../store/types';

/**
 * `/metrics` in the Prometheus text format. Every figure is read from the database at scrape
 * time, so it survives restarts and agrees across gateway instances sharing one database.
 */
export const LATENCY_BUCKETS_MS = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 1_800_000, 3_600_000] as const;

type Labels = Record<string, string>;
interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: { suffix?: string; labels: Labels; value: number }[];
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Labels) => {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}` : '';
};
const num = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

export function renderFamilies(families: Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ''}${labelText(s.labels)} ${num(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What this module reads of Node's `process`; the underscored calls are the ones prom-client reads too. */
interface NodeProcess {
  memoryUsage(): { rss: number; heapTotal: number; heapUsed: number; external: number };
  getActiveResourcesInfo?(): string[];
  _getActiveHandles?(): unknown[];
  _getActiveRequests?(): unknown[];
}

/**
 * This instance's own process: memory and what keeps its event loop busy, to see a leak in a long
 * run. Unlike every other figure these are per instance, not read from the database, and there is
 * none on a runtime without Node's `process` (Workers): the app imports no `node:*` module, so it
 * looks the object up at scrape time and leaves the families out when it is missing or refuses.
 */
function processFamilies(): Family[] {
  const proc = (globalThis as { process?: Partial<NodeProcess> }).process;
  if (typeof proc?.memoryUsage !== 'function') return [];
  try {
    const memory = proc.memoryUsage();
    const gauge = (name: string, help: string, value: number | undefined): Family[] =>
      value === undefined ? [] : [{ name, help, type: 'gauge', samples: [{ labels: {}, value }] }];
    const byType = new Map<string, number>();
    for (const type of proc.getActiveResourcesInfo?.() ?? []) byType.set(type, (byType.get(type) ?? 0) + 1);
    return [
      ...gauge('process_resident_memory_bytes', 'Resident memory of this gateway process.', memory.rss),
      ...gauge('nodejs_heap_size_used_bytes', 'V8 heap in use in this gateway process.', memory.heapUsed),
      ...gauge('nodejs_heap_size_total_bytes', 'V8 heap reserved by this gateway process.', memory.heapTotal),
      ...gauge('nodejs_external_memory_bytes', 'Memory held outside the V8 heap (buffers) by this gateway process.', memory.external),
      ...gauge('nodejs_active_handles', 'Handles (sockets, servers, timers, files) keeping the event loop of this process alive.', proc._getActiveHandles?.().length),
      ...gauge('nodejs_active_requests', 'Requests (file system, DNS, writes) in flight in this process.', proc._getActiveRequests?.().length),
      {
        name: 'nodejs_active_resources',
        help: 'Resources keeping the event loop of this process alive, by type.',
        type: 'gauge',
        samples: [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => ({ labels: { type }, value: n })),
      },
    ];
  } catch {
    return [];
  }
}

export async function renderMetrics(store: Store, now: number, version: string): Promise<string> {
  const [status, stats, drift] = await Promise.all([
    store.syncStatus(now),
    store.deliveryStats({ now, since: now, bucketMs: 3_600_000, latencyBucketsMs: LATENCY_BUCKETS_MS }),
    store.openDrift(),
  ]);
  const sources = Object.entries(status.sources);
  const targets = Object.entries(status.targets);
  const families: Family[] = [
    { name: 'lienthong_build_info', help: 'The running gateway version.', type: 'gauge', samples: [{ labels: { version }, value: 1 }] },
    {
      name: 'lienthong_source_records_total',
      help: 'Source records received and stored (duplicates excluded).',
      type: 'counter',
      samples: sources.map(([source, s]) => ({ labels: { source }, value: s.records })),
    },
    {
      name: 'lienthong_source_pending_records',
      help: 'Records waiting for the record that opens their dossier.',
      type: 'gauge',
      samples: sources.map(([source, s]) => ({ labels: { source }, value: s.pendingRecords })),
    },
    {
      name: 'lienthong_source_rejected_records',
      help: 'Inbound bodies or records refused and kept for an operator, not yet resolved.',
      type: 'gauge',
      samples: sources.map(([source, s]) => ({ labels: { source }, value: s.rejected })),
    },
    {
      name: 'lienthong_source_dossiers',
      help: 'Dossiers held by the gateway per source.',
      type: 'gauge',
      samples: sources.map(([source, s]) => ({ labels: { source }, value: s.dossiers })),
    },
    {
      name: 'lienthong_source_held_dossiers',
      help: 'Dossiers sent nowhere yet, by reason (UNMAPPED_PROCEDURE, NOT_RECEIVED, INVALID).',
      type: 'gauge',
      samples: sources.flatMap(([source, s]) => ['UNMAPPED_PROCEDURE', 'NOT_RECEIVED', 'INVALID'].map((reason) => ({ labels: { source, reason }, value: s.held[reason as 'INVALID'] ?? 0 }))),
    },
    {
      name: 'lienthong_source_unmapped_dossiers',
      help: 'Dossiers whose local procedure code has no national code in the mapping table.',
      type: 'gauge',
      samples: sources.map(([source, s]) => ({ labels: { source }, value: s.held.UNMAPPED_PROCEDURE ?? 0 })),
    },
    {
      name: 'lienthong_source_last_success_timestamp_seconds',
      help: 'When the last poll succeeded (polled sources) or the last record arrived (pushed sources).',
      type: 'gauge',
      samples: sources.flatMap(([source, s]) => {
        const at = s.lastSuccessAt ?? s.lastReceivedAt;
        return at === null ? [] : [{ labels: { source }, value: at / 1000 }];
      }),
    },
    {
      name: 'lienthong_source_poll_lag_seconds',
      help: 'Time since the last successful poll of a polled source.',
      type: 'gauge',
      samples: sources.flatMap(([source, s]) => (s.lastSuccessAt === null ? [] : [{ labels: { source }, value: (now - s.lastSuccessAt) / 1000 }])),
    },
    {
      name: 'lienthong_deliveries',
      help: 'Deliveries per target and state (failed waits for an operator; dead spent its retry budget).',
      type: 'gauge',
      samples: targets.flatMap(([target, t]) =>
        (['pending', 'retrying', 'delivered', 'failed', 'dead'] as const).map((state) => ({ labels: { target, state }, value: t.counts[state] })),
      ),
    },
    {
      name: 'lienthong_deliveries_in_flight',
      help: 'Deliveries claimed by a worker right now.',
      type: 'gauge',
      samples: targets.map(([target, t]) => ({ labels: { target }, value: t.counts.inFlight })),
    },
    {
      name: 'lienthong_queue_depth',
      help: 'Changes waiting to be delivered (pending or retrying).',
      type: 'gauge',
      samples: targets.map(([target, t]) => ({ labels: { target }, value: t.counts.pending + t.counts.retrying })),
    },
    {
      name: 'lienthong_oldest_undelivered_change_seconds',
      help: 'Age of the oldest change a target does not hold yet (0 when none).',
      type: 'gauge',
      samples: targets.map(([target, t]) => ({ labels: { target }, value: (t.oldestPendingMs ?? 0) / 1000 })),
    },
    {
      name: 'lienthong_delivery_attempts_total',
      help: 'Delivery attempts by outcome and error class.',
      type: 'counter',
      samples: stats.attempts.map((a) => ({ labels: { target: a.target, outcome: a.outcome, error_class: a.errorClass ?? 'none' }, value: a.count })),
    },
    {
      name: 'lienthong_delivery_latency_seconds',
      help: 'From a change being accepted to the target holding it.',
      type: 'histogram',
      samples: Object.entries(stats.latency).flatMap(([target, h]) => [
        ...h.buckets.map((b, i) => ({ suffix: '_bucket', labels: { target, le: String(b / 1000) }, value: h.counts[i]! })),
        { suffix: '_bucket', labels: { target, le: '+Inf' }, value: h.count },
        { suffix: '_sum', labels: { target }, value: h.sumMs / 1000 },
        { suffix: '_count', labels: { target }, value: h.count },
      ]),
    },
    {
      name: 'lienthong_drift_findings',
      help: 'Open mismatches between a target and the canonical dossier, by kind.',
      type: 'gauge',
      samples: Object.entries(
        drift.reduce<Record<string, { target: string; kind: string; n: number }>>((acc, f) => {
          const key = `${f.target}|${f.kind}`;
          (acc[key] ??= { target: f.target, kind: f.kind, n: 0 }).n++;
          return acc;
        }, {}),
      ).map(([, g]) => ({ labels: { target: g.target, kind: g.kind }, value: g.n })),
    },
    ...processFamilies(),
  ];
  return renderFamilies(families);
}
