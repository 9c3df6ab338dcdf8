import { maskId, statusCode, type DossierDraft, type Party } from '../../contracts';
import type { ChainReport } from '../auth/audit';
import type { Principal } from '../auth/middleware';
import { ROLE_RANK } from '../auth/middleware';
import type {
  AuditEntry,
  DeliveryStats,
  DossierSummary,
  DossierView,
  DriftFinding,
  HeldGroup,
  RejectedGroup,
  DeliveryProblemGroup,
  RejectedRecordView,
  SyncStatus,
  TokenRecord,
} from '../store/types';
import { lastHour, sourceHealth, targetHealth, type Light } from './health';
import { STATUS_WORDS, WORDS, type Lang } from './i18n';
import { minutes, when } from './layout';

/** The console's pages as server-rendered JSX. Personal IDs are always shown masked. */
type Base = { lang: Lang; principal: Principal };
const can = (p: Principal, role: 'operator' | 'admin') => ROLE_RANK[p.role] >= ROLE_RANK[role];
const LightBadge = ({ light, lang }: { light: Light; lang: Lang }) => <span class={`light ${light}`}>{WORDS[lang][light]}</span>;

function Bars({ values, fail }: { values: number[]; fail?: number[] }) {
  const max = Math.max(1, ...values.map((v, i) => v + (fail?.[i] ?? 0)));
  return (
    <div class="bars" aria-hidden="true">
      {values.map((v, i) => (
        <>
          <span style={`height:${(v / max) * 100}%`} title={String(v)} />
          {fail && fail[i] ? <span class="fail" style={`height:${(fail[i]! / max) * 100}%`} title={String(fail[i])} /> : null}
        </>
      ))}
    </div>
  );
}

function hourly<T extends { bucketStart: number }>(rows: T[], now: number, hours: number, pick: (r: T) => number): number[] {
  const start = Math.floor(now / 3600_000) * 3600_000 - (hours - 1) * 3600_000;
  return Array.from({ length: hours }, (_, i) => rows.filter((r) => r.bucketStart === start + i * 3600_000).reduce((a, r) => a + pick(r), 0));
}

export function OverviewPage(p: Base & { status: SyncStatus; stats: DeliveryStats; sources: { id: string; transport: 'push' | 'poll'; pollMs: number }[]; now: number }) {
  const w = WORDS[p.lang];
  return (
    <>
      <h2>{w.targets}</h2>
      <div class="grid">
        {['province', 'dvcqg'].map((target) => {
          const t = p.status.targets[target] ?? { counts: { pending: 0, retrying: 0, delivered: 0, failed: 0, dead: 0, inFlight: 0 }, oldestPendingMs: null };
          const h = targetHealth(t, lastHour(p.stats, target, p.now));
          const rows = p.stats.throughput.filter((r) => r.target === target);
          return (
            <div class="card" data-target={target}>
              <h3>
                {target === 'province' ? 'Hệ thống một cửa tỉnh (province)' : 'Cổng DVC quốc gia (dvcqg)'} <LightBadge light={h.light} lang={p.lang} />
              </h3>
              <dl>
                <dt>{w.freshness}</dt>
                <dd>{minutes(t.oldestPendingMs)}</dd>
                <dt>{w.errorRate}</dt>
                <dd>{Math.round(h.errorRate * 100)}%</dd>
                <dt>{w.pending}</dt>
                <dd>{t.counts.pending + t.counts.retrying}</dd>
                <dt>{w.retrying}</dt>
                <dd>{t.counts.retrying}</dd>
                <dt>{w.inFlight}</dt>
                <dd>{t.counts.inFlight}</dd>
                <dt>{w.delivered}</dt>
                <dd>{t.counts.delivered}</dd>
                <dt>{w.failed}</dt>
                <dd>{t.counts.failed}</dd>
                <dt>{w.dead}</dt>
                <dd>{t.counts.dead}</dd>
              </dl>
              <p class="small muted">{w.throughput} (12 h)</p>
              <Bars values={hourly(rows, p.now, 12, (r) => r.delivered)} fail={hourly(rows, p.now, 12, (r) => r.failed)} />
              {h.reasons.length > 0 && <p class="small">{h.reasons.join(' · ')}</p>}
            </div>
          );
        })}
      </div>
      <h2>{w.sources}</h2>
      <div class="grid">
        {p.sources.map(({ id, transport, pollMs }) => {
          const s = p.status.sources[id] ?? { dossiers: 0, records: 0, pendingRecords: 0, rejected: 0, held: {}, lastPollAt: null, lastSuccessAt: null, lastError: null, lastReceivedAt: null };
          const h = sourceHealth(s, transport, pollMs, p.now);
          return (
            <div class="card" data-source={id}>
              <h3>
                {id} <LightBadge light={h.light} lang={p.lang} />
              </h3>
              <dl>
                <dt>{transport === 'poll' ? w.lastPoll : w.lastRecord}</dt>
                <dd>{when(transport === 'poll' ? s.lastSuccessAt : s.lastReceivedAt, p.lang)}</dd>
                <dt>{w.dossiers}</dt>
                <dd>{s.dossiers}</dd>
                <dt>{w.records}</dt>
                <dd>{s.records}</dd>
                <dt>{w.rejected}</dt>
                <dd>{s.rejected}</dd>
                <dt>{w.held}</dt>
                <dd>{Object.entries(s.held).map(([r, n]) => `${r}: ${n}`).join(', ') || w.none}</dd>
              </dl>
              <p class="small muted">{w.received} (12 h)</p>
              <Bars values={hourly(p.stats.received.filter((r) => r.source === id), p.now, 12, (r) => r.records)} />
              {s.lastError && <p class="small">{s.lastError}</p>}
            </div>
          );
        })}
      </div>
    </>
  );
}

export function ProblemsPage(p: Base & { deliveries: DeliveryProblemGroup[]; rejected: RejectedGroup[]; held: HeldGroup[]; catalog: string[] }) {
  const w = WORDS[p.lang];
  return (
    <>
      <h2>{w.deliveryProblems}</h2>
      {p.deliveries.length === 0 ? (
        <p class="muted">{w.noProblems}</p>
      ) : (
        p.deliveries.map((g) => (
          <div class="card" style="margin-bottom:1rem" data-group={`${g.target}:${g.errorCode}`}>
            <h3>
              <span>
                {g.target} · <code>{g.errorCode}</code> · {g.errorClass} · {g.state}
              </span>
              <span>
                {w.count}: {g.count}
              </span>
            </h3>
            {can(p.principal, 'operator') && (
              <form method="post" action="/console/problems/replay">
                <input type="hidden" name="target" value={g.target} />
                <input type="hidden" name="state" value={g.state} />
                <input type="hidden" name="errorCode" value={g.errorCode} />
                <button type="submit">{w.replayGroup}</button>
              </form>
            )}
            <table style="margin-top:.6rem">
              <tr>
                <th>{w.dossiers}</th>
                <th>{w.reason}</th>
                <th />
              </tr>
              {g.samples.map((s) => (
                <tr>
                  <td>
                    <a href={`/console/dossiers/${s.source}/${encodeURIComponent(s.externalId)}`}>{s.externalId}</a> <span class="muted small">({s.source})</span>
                  </td>
                  <td class="small">{s.message}</td>
                  <td>
                    {can(p.principal, 'operator') && (
                      <form method="post" action="/console/problems/replay">
                        <input type="hidden" name="deliveryId" value={String(s.deliveryId)} />
                        <button type="submit">{w.replay}</button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </table>
          </div>
        ))
      )}
      <h2>{w.heldDossiers}</h2>
      {p.held.length === 0 ? (
        <p class="muted">{w.noProblems}</p>
      ) : (
        <table>
          <tr>
            <th>{w.source}</th>
            <th>{w.reason}</th>
            <th>{w.localCode}</th>
            <th>{w.count}</th>
            <th>{w.examples}</th>
            <th />
          </tr>
          {p.held.map((g) => (
            <tr>
              <td>{g.source}</td>
              <td>{g.reason}</td>
              <td>
                <code>{g.localCode ?? '—'}</code>
              </td>
              <td>{g.count}</td>
              <td class="small">
                {g.samples.slice(0, 5).map((id) => (
                  <>
                    <a href={`/console/dossiers/${g.source}/${encodeURIComponent(id)}`}>{id}</a>{' '}
                  </>
                ))}
              </td>
              <td>
                {g.reason === 'UNMAPPED_PROCEDURE' && g.localCode && can(p.principal, 'admin') && (
                  <form method="post" action="/console/mappings" style="margin-bottom:.4rem">
                    <input type="hidden" name="source" value={g.source} />
                    <input type="hidden" name="localCode" value={g.localCode} />
                    <select name="nationalCode" aria-label={w.nationalCode}>
                      {p.catalog.map((code) => (
                        <option value={code}>{code}</option>
                      ))}
                    </select>{' '}
                    <button type="submit">{w.addMapping}</button>
                  </form>
                )}
                {can(p.principal, 'operator') && (
                  <form method="post" action="/console/held/reprocess">
                    <input type="hidden" name="source" value={g.source} />
                    <input type="hidden" name="reason" value={g.reason} />
                    {g.localCode && <input type="hidden" name="localCode" value={g.localCode} />}
                    <button type="submit" class="secondary">{w.reprocess}</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </table>
      )}
      {p.held.some((g) => g.reason === 'UNMAPPED_PROCEDURE') && <p class="small muted">{w.fixPath}</p>}
      <h2>{w.rejectedBodies}</h2>
      {p.rejected.length === 0 ? (
        <p class="muted">{w.noProblems}</p>
      ) : (
        <table>
          <tr>
            <th>{w.source}</th>
            <th>{w.reason}</th>
            <th>{w.count}</th>
            <th>{w.examples}</th>
          </tr>
          {p.rejected.map((g) => (
            <tr>
              <td>{g.source}</td>
              <td>
                <code>{g.reasonCode}</code>
              </td>
              <td>{g.count}</td>
              <td class="small">
                {g.samples.map((s) => (
                  <div>
                    {when(s.receivedAt, p.lang)} · {s.kind ?? ''} · {s.reason}{' '}
                    {can(p.principal, 'operator') && <a href={`/console/rejected/${s.id}`}>{w.viewBody}</a>}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </table>
      )}
    </>
  );
}

export function RejectedPage(p: Base & { record: RejectedRecordView }) {
  const w = WORDS[p.lang];
  return (
    <>
      <dl>
        <dt>{w.source}</dt>
        <dd>{p.record.source}</dd>
        <dt>{w.reason}</dt>
        <dd>
          <code>{p.record.reasonCode}</code> {p.record.reason}
        </dd>
        <dt>{w.when}</dt>
        <dd>{when(p.record.receivedAt, p.lang)}</dd>
      </dl>
      <pre>{p.record.body}</pre>
      {p.record.resolvedAt === null && (
        <form method="post" action="/console/rejected/resolve">
          <input type="hidden" name="id" value={String(p.record.id)} />
          <button type="submit">{w.markResolved}</button>
        </form>
      )}
    </>
  );
}

export function SearchPage(p: Base & { q: string; results: DossierSummary[] }) {
  const w = WORDS[p.lang];
  return (
    <>
      <form method="get" action="/console/dossiers">
        <input name="q" value={p.q} placeholder={w.searchHint} size={40} aria-label={w.search} /> <button type="submit">{w.search}</button>
      </form>
      <div style="margin-top:1rem">
        {p.results.length === 0 ? (
          <p class="muted">{w.noResults}</p>
        ) : (
          <table>
            <tr>
              <th>{w.source}</th>
              <th>{w.dossiers}</th>
              <th>{w.oneStopCode}</th>
              <th>{w.status}</th>
              <th>{w.held}</th>
              <th>{w.updated}</th>
            </tr>
            {p.results.map((d) => (
              <tr>
                <td>{d.source}</td>
                <td>
                  <a href={`/console/dossiers/${d.source}/${encodeURIComponent(d.externalId)}`}>{d.externalId}</a>
                </td>
                <td>{d.oneStopCode ?? '—'}</td>
                <td>{STATUS_WORDS[p.lang][d.status] ?? d.status}</td>
                <td>{d.holdReason ?? ''}</td>
                <td class="small">{when(d.updatedAt, p.lang)}</td>
              </tr>
            ))}
          </table>
        )}
      </div>
    </>
  );
}

const partyText = (party: Party) => `${party.name}${party.ids.length ? ` · ${party.ids.map((i) => `${i.type} ${maskId(i.value)}`).join(', ')}` : ''}`;

export function DossierPage(p: Base & { view: DossierView }) {
  const w = WORDS[p.lang];
  const d: DossierDraft = p.view.dossier;
  return (
    <>
      <div class="grid">
        <div class="card">
          <dl>
            <dt>{w.source}</dt>
            <dd>
              {d.source.system} · <code>{d.sourceCode}</code>
            </dd>
            <dt>{w.status}</dt>
            <dd>
              {STATUS_WORDS[p.lang][d.status]} ({statusCode(d.status)}) · v{p.view.version}
              {p.view.holdReason && (
                <>
                  {' '}
                  · <strong>{p.view.holdReason}</strong> <span class="small">{p.view.holdDetail}</span>
                </>
              )}
            </dd>
            <dt>{w.procedure}</dt>
            <dd>
              {d.procedure.nationalCode ?? '—'} {d.procedure.name ?? ''} <span class="muted small">({d.procedure.localCode})</span>
            </dd>
            <dt>{w.agency}</dt>
            <dd>
              {d.receivingAgency.name} <span class="muted small">{d.receivingAgency.code}</span>
            </dd>
            <dt>{w.applicant}</dt>
            <dd>{partyText(d.applicant)}</dd>
            <dt>{w.owner}</dt>
            <dd>{partyText(d.owner)}</dd>
            <dt>{w.receivedAt}</dt>
            <dd>{d.receivedAt ?? '—'}</dd>
            <dt>{w.dueAt}</dt>
            <dd>{d.dueAt ?? '—'}</dd>
          </dl>
        </div>
        <div class="card">
          <h3>{w.steps}</h3>
          <table>
            {d.events.map((e) => (
              <tr>
                <td class="small">{e.at}</td>
                <td>{STATUS_WORDS[p.lang][e.status]}</td>
                <td class="small">{e.content}</td>
              </tr>
            ))}
          </table>
        </div>
      </div>
      <h2>{w.deliveries}</h2>
      {p.view.deliveries.map((del) => (
        <div class="card" style="margin-bottom:1rem" data-delivery={del.target}>
          <h3>
            <span>
              {del.target} · <strong data-state={del.state}>{del.state}</strong> · v{del.sentVersion ?? '—'}/{del.wantVersion}
              {del.remoteCode && (
                <>
                  {' '}
                  · <code>{del.remoteCode}</code>
                </>
              )}
            </span>
            {(del.state === 'failed' || del.state === 'dead') && can(p.principal, 'operator') && (
              <form method="post" action="/console/problems/replay">
                <input type="hidden" name="deliveryId" value={String(del.id)} />
                <input type="hidden" name="back" value={`/console/dossiers/${p.view.source}/${encodeURIComponent(p.view.externalId)}`} />
                <button type="submit">{w.replay}</button>
              </form>
            )}
          </h3>
          {del.lastError && <p class="small">{del.lastError}</p>}
          <table>
            <tr>
              <th>{w.when}</th>
              <th>{w.outcome}</th>
              <th>{w.errorClass}</th>
              <th>{w.duration}</th>
              <th>{w.calls}</th>
            </tr>
            {del.history.map((a) => (
              <tr>
                <td class="small">{when(a.startedAt, p.lang)}</td>
                <td>
                  {a.outcome} v{a.version}
                </td>
                <td class="small">
                  {a.errorClass ?? ''} {a.errorCode ? <code>{a.errorCode}</code> : null} {a.message ?? ''}
                </td>
                <td class="small">{a.durationMs} ms</td>
                <td class="small">{a.operations.join(', ')}</td>
              </tr>
            ))}
          </table>
        </div>
      ))}
      <h2>{w.sourceRecords}</h2>
      <table>
        <tr>
          <th>#</th>
          <th>{w.kind}</th>
          <th>{w.timeline}</th>
          <th>{w.received}</th>
          <th>{w.status}</th>
        </tr>
        {p.view.records.map((r) => (
          <tr>
            <td>{r.id}</td>
            <td>{r.kind}</td>
            <td class="small">{r.sourceTime}</td>
            <td class="small">{when(r.receivedAt, p.lang)}</td>
            <td>{r.status}</td>
          </tr>
        ))}
      </table>
      <h2>{w.versions}</h2>
      <table>
        {p.view.versions.map((v) => (
          <tr>
            <td>v{v.version}</td>
            <td class="small">{when(v.createdAt, p.lang)}</td>
            <td>{STATUS_WORDS[p.lang][v.dossier.status]}</td>
            <td class="small">{v.dossier.events.length} {w.steps.toLowerCase()}</td>
          </tr>
        ))}
      </table>
    </>
  );
}

export function DriftPage(p: Base & { findings: DriftFinding[] }) {
  const w = WORDS[p.lang];
  return (
    <>
      {can(p.principal, 'operator') && (
        <p>
          <form class="inline" method="post" action="/console/drift/run">
            <button type="submit">{w.runNow}</button>
          </form>{' '}
          {p.findings.length > 0 && (
            <form class="inline" method="post" action="/console/drift/resync">
              <input type="hidden" name="ids" value="all" />
              <button type="submit" class="secondary">{w.resyncAll}</button>
            </form>
          )}
        </p>
      )}
      {p.findings.length === 0 ? (
        <p class="muted">{w.noDrift}</p>
      ) : (
        <table>
          <tr>
            <th>{w.target}</th>
            <th>{w.dossiers}</th>
            <th>{w.kind}</th>
            <th>{w.reason}</th>
            <th>{w.found}</th>
            <th />
          </tr>
          {p.findings.map((f) => (
            <tr data-drift={f.kind}>
              <td>{f.target}</td>
              <td>
                <a href={`/console/dossiers/${f.source}/${encodeURIComponent(f.externalId)}`}>{f.externalId}</a>
              </td>
              <td>
                <code>{f.kind}</code>
              </td>
              <td class="small">{f.detail}</td>
              <td class="small">{when(f.foundAt, p.lang)}</td>
              <td>
                {can(p.principal, 'operator') && (
                  <form method="post" action="/console/drift/resync">
                    <input type="hidden" name="ids" value={String(f.id)} />
                    <button type="submit">{w.resync}</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </table>
      )}
    </>
  );
}

export function AdminPage(p: Base & { tokens: TokenRecord[]; audit: AuditEntry[]; chain: ChainReport; newToken?: string }) {
  const w = WORDS[p.lang];
  return (
    <>
      <h2>{w.tokens}</h2>
      {p.newToken && (
        <div class="flash">
          {w.newTokenOnce} <code data-new-token>{p.newToken}</code>
        </div>
      )}
      <form method="post" action="/console/admin/tokens">
        <input name="name" placeholder={w.name} required /> <select name="role">
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
          <option value="admin">admin</option>
        </select>{' '}
        <button type="submit">{w.createToken}</button>
      </form>
      <table style="margin-top:.6rem">
        <tr>
          <th>#</th>
          <th>{w.name}</th>
          <th>{w.role}</th>
          <th>{w.who}</th>
          <th>{w.when}</th>
          <th />
        </tr>
        {p.tokens.map((t) => (
          <tr>
            <td>{t.id}</td>
            <td>{t.name}</td>
            <td>{t.role}</td>
            <td>{t.createdBy}</td>
            <td class="small">
              {when(t.createdAt, p.lang)}
              {t.revokedAt ? ` · ${w.revoke}: ${when(t.revokedAt, p.lang)}` : ''}
            </td>
            <td>
              {!t.revokedAt && (
                <form method="post" action={`/console/admin/tokens/${t.id}/revoke`}>
                  <button type="submit" class="secondary">{w.revoke}</button>
                </form>
              )}
            </td>
          </tr>
        ))}
      </table>
      <h2>{w.audit}</h2>
      <p class={`flash${p.chain.ok ? '' : ' error'}`}>
        {p.chain.ok ? `${w.chainOk} (${p.chain.entries})` : `${w.chainBroken} #${p.chain.brokenAt}: ${p.chain.reason}`}
      </p>
      <table>
        <tr>
          <th>#</th>
          <th>{w.when}</th>
          <th>{w.who}</th>
          <th>{w.action}</th>
          <th>{w.subject}</th>
        </tr>
        {p.audit.map((a) => (
          <tr>
            <td>{a.seq}</td>
            <td class="small">{when(a.at, p.lang)}</td>
            <td>{a.actor}</td>
            <td>
              <code>{a.action}</code>
            </td>
            <td class="small">
              <code>{a.subject.length > 300 ? `${a.subject.slice(0, 300)}…` : a.subject}</code>
            </td>
          </tr>
        ))}
      </table>
    </>
  );
}
