import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { HOLD_REASONS, sourceSystem, targetSystem, type HoldReason, type SourceSystem, type TargetSystem } from '../../contracts';
import type { AppEnv } from '../app';
import { appendAudit, verifyStoreAudit } from '../auth/audit';
import { verifyPassword } from '../auth/credentials';
import { endSession, requireRole, startSession } from '../auth/middleware';
import * as actions from '../http/actions';
import { ApiError } from '../http/errors';
import { LATENCY_BUCKETS_MS } from '../http/metrics';
import { WORDS, type Lang } from './i18n';
import { Layout } from './layout';
import { AdminPage, DossierPage, DriftPage, OverviewPage, ProblemsPage, RejectedPage, SearchPage } from './pages';

/**
 * The operator console: server-rendered pages, no scripts, no CDN. Forms post back and redirect
 * with a short message; every action goes through the same audited functions as the API.
 */
function langOf(c: Context<AppEnv>): Lang {
  const q = c.req.query('lang');
  if (q === 'vi' || q === 'en') {
    setCookie(c, 'lang', q, { path: '/', sameSite: 'Lax', maxAge: 365 * 86_400 });
    return q;
  }
  return getCookie(c, 'lang') === 'en' ? 'en' : 'vi';
}

export function loginPage(c: Context<AppEnv>, opts: { next?: string; failed?: boolean }) {
  const lang = langOf(c);
  const w = WORDS[lang];
  const next = opts.next && opts.next.startsWith('/console') && !opts.next.startsWith('/console/login') ? opts.next : '/console';
  return (
    <Layout lang={lang} title={w.signIn} flash={opts.failed ? { text: w.badLogin, error: true } : undefined}>
      <form class="login card" method="post" action="/console/login">
        <p class="muted">{w.appName}</p>
        <label>
          {w.username}
          <input name="username" autocomplete="username" required />
        </label>
        <label>
          {w.password}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <input type="hidden" name="next" value={next} />
        <button type="submit">{w.signIn}</button>
      </form>
    </Layout>
  );
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export function consoleRoutes() {
  const ui = new Hono<AppEnv>();
  // Forms only from this origin (the session cookie is also SameSite=Strict).
  ui.use(csrf());

  const page = async (c: Context<AppEnv>, title: keyof typeof WORDS.vi, active: string, body: (lang: Lang) => unknown) => {
    const lang = langOf(c);
    const flash = c.req.query('done') ? { text: decodeURIComponent(c.req.query('done')!) } : c.req.query('error') ? { text: decodeURIComponent(c.req.query('error')!), error: true } : undefined;
    return c.html(
      <Layout lang={lang} title={WORDS[lang][title]} active={active} principal={c.get('principal')} flash={flash}>
        {body(lang) as never}
      </Layout>,
    );
  };
  const back = (c: Context<AppEnv>, to: string, message: string, error = false) => c.redirect(`${to}${to.includes('?') ? '&' : '?'}${error ? 'error' : 'done'}=${encodeURIComponent(message)}`, 303);
  const ctx = (c: Context<AppEnv>) => ({ deps: c.get('deps'), principal: c.get('principal')! });
  /** Runs an action; an ApiError (bad input, not allowed) comes back as a message on the page. */
  const act = async (c: Context<AppEnv>, to: string, run: () => Promise<string>) => {
    try {
      return back(c, to, await run());
    } catch (err) {
      if (err instanceof ApiError) return back(c, to, err.message, true);
      throw err;
    }
  };

  ui.get('/login', (c) => c.html(loginPage(c, { next: c.req.query('next') })));
  ui.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const username = str(form['username']) ?? '';
    const { store, now } = c.get('deps');
    const user = username ? await store.getUser(username) : null;
    const ok = user !== null && user.disabledAt === null && (await verifyPassword(str(form['password']) ?? '', user.passwordHash));
    if (!ok) return c.html(loginPage(c, { next: str(form['next']), failed: true }), 401);
    await startSession(c, username);
    await appendAudit(store, { at: now(), actor: username, action: 'session.login', subject: {} });
    const next = str(form['next']) ?? '/console';
    return c.redirect(next.startsWith('/console') ? next : '/console', 303);
  });
  ui.post('/logout', async (c) => {
    const { store, now } = c.get('deps');
    const principal = c.get('principal');
    await endSession(c);
    if (principal) await appendAudit(store, { at: now(), actor: principal.name, action: 'session.logout', subject: {} });
    return c.redirect('/console/login', 303);
  });

  ui.use(requireRole('viewer'));

  ui.get('/', async (c) => {
    const { store, now, config } = c.get('deps');
    const at = now();
    const [status, stats] = await Promise.all([
      store.syncStatus(at),
      store.deliveryStats({ now: at, since: at - 12 * 3600_000, bucketMs: 3600_000, latencyBucketsMs: LATENCY_BUCKETS_MS }),
    ]);
    const sources = Object.entries(config.sources).map(([id, s]) => ({
      id,
      transport: (s && 'pollIntervalSeconds' in s ? 'poll' : 'push') as 'poll' | 'push',
      pollMs: s && 'pollIntervalSeconds' in s ? s.pollIntervalSeconds * 1000 : 0,
    }));
    return page(c, 'overview', '/console', (lang) => <OverviewPage lang={lang} principal={c.get('principal')!} status={status} stats={stats} sources={sources} now={at} />);
  });

  ui.get('/problems', async (c) => {
    const groups = await c.get('deps').store.problemGroups(10);
    const catalog = Object.keys(c.get('deps').config.procedures).sort();
    return page(c, 'problems', '/console/problems', (lang) => <ProblemsPage lang={lang} principal={c.get('principal')!} {...groups} catalog={catalog} />);
  });

  ui.post('/problems/replay', requireRole('operator'), async (c) => {
    const form = await c.req.parseBody();
    const to = str(form['back'])?.startsWith('/console/') ? str(form['back'])! : '/console/problems';
    return act(c, to, async () => {
      const id = Number(str(form['deliveryId']));
      const target = targetSystem.safeParse(form['target']);
      const filter = Number.isInteger(id) && id > 0
        ? { deliveryIds: [id] }
        : target.success
          ? { target: target.data as TargetSystem, state: form['state'] === 'dead' ? ('dead' as const) : ('failed' as const), errorCode: str(form['errorCode']) }
          : null;
      if (!filter) throw new ApiError(400, 'BAD_REQUEST', 'nothing to replay');
      const replayed = await actions.replayDeliveries(ctx(c), filter);
      return `${WORDS[langOf(c)].done}: ${WORDS[langOf(c)].replay} ${replayed.length}`;
    });
  });

  ui.get('/rejected/:id', requireRole('operator'), async (c) => {
    const record = await c.get('deps').store.getRejected(Number(c.req.param('id')));
    if (!record) return c.notFound();
    return page(c, 'rejectedBodies', '/console/problems', (lang) => <RejectedPage lang={lang} principal={c.get('principal')!} record={record} />);
  });
  ui.post('/rejected/resolve', requireRole('operator'), async (c) => {
    const form = await c.req.parseBody();
    return act(c, '/console/problems', async () => `${WORDS[langOf(c)].done}: ${await actions.resolveRejected(ctx(c), [Number(str(form['id']))])}`);
  });

  ui.post('/mappings', requireRole('admin'), async (c) => {
    const form = await c.req.parseBody();
    return act(c, '/console/problems', async () => {
      const source = sourceSystem.safeParse(form['source']);
      const localCode = str(form['localCode']);
      const nationalCode = str(form['nationalCode']);
      if (!source.success || !localCode || !nationalCode) throw new ApiError(400, 'BAD_REQUEST', 'source, localCode and nationalCode are required');
      await actions.setMapping(ctx(c), source.data, localCode, nationalCode);
      return `${WORDS[langOf(c)].done}: ${localCode} → ${nationalCode}`;
    });
  });

  ui.post('/held/reprocess', requireRole('operator'), async (c) => {
    const form = await c.req.parseBody();
    return act(c, '/console/problems', async () => {
      const source = sourceSystem.safeParse(form['source']);
      const reason = str(form['reason']);
      const result = await actions.reprocessHeld(ctx(c), {
        ...(source.success ? { source: source.data as SourceSystem } : {}),
        ...(reason && (HOLD_REASONS as readonly string[]).includes(reason) ? { reason: reason as HoldReason } : {}),
        ...(str(form['localCode']) ? { localCode: str(form['localCode']) } : {}),
      });
      return `${WORDS[langOf(c)].done}: ${WORDS[langOf(c)].reprocess} ${result.checked}, ${result.released} → ${WORDS[langOf(c)].pending}`;
    });
  });

  ui.get('/dossiers', async (c) => {
    const q = c.req.query('q') ?? '';
    const results = await c.get('deps').store.searchDossiers(q, 100);
    return page(c, 'dossiers', '/console/dossiers', (lang) => <SearchPage lang={lang} principal={c.get('principal')!} q={q} results={results} />);
  });

  ui.get('/dossiers/:source/:externalId', async (c) => {
    const source = sourceSystem.safeParse(c.req.param('source'));
    const view = source.success ? await c.get('deps').store.getDossierView(source.data, c.req.param('externalId')) : null;
    if (!view) return c.notFound();
    return page(c, 'dossiers', '/console/dossiers', (lang) => <DossierPage lang={lang} principal={c.get('principal')!} view={view} />);
  });

  ui.get('/drift', async (c) => {
    const findings = await c.get('deps').store.openDrift();
    return page(c, 'drift', '/console/drift', (lang) => <DriftPage lang={lang} principal={c.get('principal')!} findings={findings} />);
  });
  ui.post('/drift/run', requireRole('operator'), (c) =>
    act(c, '/console/drift', async () => {
      const reports = await actions.runDrift(ctx(c));
      return reports.map((r) => `${r.target}: ${r.checked} / ${r.drifted}`).join(' · ');
    }),
  );
  ui.post('/drift/resync', requireRole('operator'), async (c) => {
    const form = await c.req.parseBody();
    return act(c, '/console/drift', async () => {
      const ids = str(form['ids']) === 'all' ? ('all' as const) : [Number(str(form['ids']))];
      const done = await actions.resyncDrift(ctx(c), ids);
      return `${WORDS[langOf(c)].done}: ${WORDS[langOf(c)].resync} ${done.length}`;
    });
  });

  const adminPage = async (c: Context<AppEnv>, newToken?: string) => {
    const { store } = c.get('deps');
    const [tokens, audit, chain] = await Promise.all([store.listTokens(), store.listAudit({ limit: 100 }), verifyStoreAudit(store)]);
    return page(c, 'admin', '/console/admin', (lang) => <AdminPage lang={lang} principal={c.get('principal')!} tokens={tokens} audit={audit} chain={chain} newToken={newToken} />);
  };
  ui.get('/admin', requireRole('admin'), (c) => adminPage(c));
  ui.post('/admin/tokens', requireRole('admin'), async (c) => {
    const form = await c.req.parseBody();
    const role = str(form['role']);
    const name = str(form['name'])?.trim();
    if (!name || (role !== 'viewer' && role !== 'operator' && role !== 'admin')) return back(c, '/console/admin', 'name and role are required', true);
    const { token } = await actions.createApiToken(ctx(c), { name, role });
    // Shown once, in this answer only: never in a URL, a log or the database.
    return adminPage(c, token);
  });
  ui.post('/admin/tokens/:id/revoke', requireRole('admin'), (c) =>
    act(c, '/console/admin', async () => {
      await actions.revokeApiToken(ctx(c), Number(c.req.param('id')));
      return WORDS[langOf(c)].done;
    }),
  );

  return ui;
}
