import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { silentLogger } from '../src/lib/log';
import { createEngine, type Engine } from './support/engine';

/** /metrics after real deliveries, read back with a Prometheus text-format parser. */
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
}[];
const birth = readFileSync(new URL('../adapters/civil-status/fixtures/civil-status-birth.json', import.meta.url), 'utf8');

describe('/metrics', () => {
  let e: Engine;
  let text: string;
  beforeAll(async () => {
    e = await createEngine();
    for (let i = 1; i <= 4; i++) {
      await e.gateway.ingestor.accept('civil-status', { externalId: '', kind: 'snapshot', sourceTime: '2026-03-02T10:41:00+07:00', body: birth.replace('HT-380-2603-000117', `HT-9-${i}`).replace('"KS-01"', i === 4 ? '"XNHN-01"' : '"KS-01"') });
    }
    await e.gateway.ingestor.accept('civil-status', { externalId: '', kind: 'snapshot', body: '{"maHoSo": 1}' });
    e.sandbox.province.sim.setFaults({ rate: 1, seed: 1, kinds: ['5xx'], max: 1, paths: ['/api/v1/hoso'] });
    await e.drain();
    const app = createApp({ store: e.store, config: {} as never, now: Date.now, logger: silentLogger, version: '9.9.9' });
    const res = await app.request('/metrics', { headers: {} });
    expect(res.status).toBe(401);
    const { tokenHash } = await import('../src/auth/credentials');
    await e.store.createToken({ name: 'prom', role: 'viewer', tokenHash: await tokenHash('lt_prom'), createdBy: 't', expiresAt: null }, Date.now());
    const ok = await app.request('/metrics', { headers: { authorization: 'Bearer lt_prom' } });
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await ok.text();
  });
  afterAll(() => e.close());

  it('parses as Prometheus text and holds the per-source and per-target figures', () => {
    const families = new Map(parse(text).map((f) => [f.name, f]));
    const value = (name: string, labels: Record<string, string>) =>
      Number(families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value);
    expect(families.get('lienthong_build_info')?.metrics[0]?.labels).toEqual({ version: '9.9.9' });
    expect(value('lienthong_source_records_total', { source: 'civil-status' })).toBe(4);
    expect(value('lienthong_source_rejected_records', { source: 'civil-status' })).toBe(1);
    expect(value('lienthong_source_unmapped_dossiers', { source: 'civil-status' })).toBe(1);
    expect(value('lienthong_deliveries', { target: 'province', state: 'delivered' })).toBe(3);
    expect(value('lienthong_deliveries', { target: 'dvcqg', state: 'delivered' })).toBe(3);
    expect(value('lienthong_queue_depth', { target: 'province' })).toBe(0);
    expect(value('lienthong_delivery_attempts_total', { target: 'province', outcome: 'failed', error_class: 'transient' })).toBe(1);
    expect(value('lienthong_delivery_attempts_total', { target: 'province', outcome: 'delivered', error_class: 'none' })).toBe(3);
    expect(families.get('lienthong_delivery_latency_seconds')?.type).toBe('HISTOGRAM');
    // That parser drops the labels of histograms: read those lines directly.
    expect(text).toMatch(/^lienthong_delivery_latency_seconds_count\{target="province"\} 3$/m);
    expect(text).toMatch(/^lienthong_delivery_latency_seconds_bucket\{target="province",le="\+Inf"\} 3$/m);
  });

  it("passes Prometheus's own parser and linter (promtool check metrics)", () => {
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error) throw new Error('promtool is not installed (Debian package "prometheus"; .ci/run installs it)');
    expect(promtool.stdout + promtool.stderr).toBe('');
    expect(promtool.status).toBe(0);
    const broken = spawnSync('promtool', ['check', 'metrics'], { input: text.replace('lienthong_queue_depth{target="province"} 0', 'lienthong_queue_depth{target="province"} zero'), encoding: 'utf8' });
    expect(broken.status).not.toBe(0);
  });
});
