import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { GatewayConfig } from '../contracts';
import { authenticate, requireRole, type Principal } from './auth/middleware';
import { apiRoutes } from './http/api';
import { docsRoutes } from './http/docs';
import { ApiError, errorBody } from './http/errors';
import { landRoutes } from './http/ingest-land';
import { renderMetrics } from './http/metrics';
import { GatewayError } from './lib/errors';
import type { Logger } from './lib/log';
import type { Store } from './store/types';
import type { Ingestor } from './sync/ingest';
import type { OperatorService } from './sync/operator';
import { consoleRoutes, loginPage } from './ui/console';

/**
 * The gateway's HTTP app, built from injected dependencies only. It imports no runtime, no
 * database driver and no `node:*` module, so the same app runs on Node and on Workers.
 */
export interface AppDeps {
  store: Store;
  config: GatewayConfig;
  now: () => number;
  logger: Logger;
  version: string;
  /** Present when this instance accepts pushed records. */
  ingestor?: Ingestor;
  /** Operator actions that need the engine (reprocess, drift). */
  ops?: OperatorService;
  /** Key that signs console session cookies. */
  sessionSecret?: string;
  /** Called when an action queued work, so idle delivery workers wake up. */
  onWork?: () => void;
  /** Serves the API documentation page's static files (from the runtime's local copy). */
  docsAsset?: (name: string) => Promise<Response | null>;
}

export type AppEnv = { Variables: { deps: AppDeps; requestId: string; principal?: Principal } };

/** A path as it may be logged: the secret segment of ingest routes replaced. */
export const redactPath = (path: string) => path.replace(/^\/ingest\/([^/]+)\/[^/]+/, '/ingest/$1/***');

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    c.set('deps', deps);
    const started = Date.now();
    await next();
    // The access log: never the security code in an ingest path, never a query string.
    deps.logger.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: redactPath(c.req.path),
      status: c.res.status,
      ms: Date.now() - started,
      who: c.get('principal')?.name,
    });
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));
  app.get('/readyz', async (c) => {
    try {
      const { migrations } = await deps.store.ping();
      if (migrations < 1) return c.json({ status: 'not ready', reason: 'database migrations are not applied' }, 503);
      return c.json({ status: 'ready', migrations, sources: Object.keys(deps.config.sources) });
    } catch {
      return c.json({ status: 'not ready', reason: 'the database does not answer' }, 503);
    }
  });
  app.route('/ingest/land', landRoutes());

  app.use(
    authenticate((c, reason) => {
      if (c.req.path.startsWith('/console') && c.req.method === 'GET') return c.html(loginPage(c, { next: c.req.path }), 401);
      return c.json(errorBody(c, 'UNAUTHENTICATED', reason), 401);
    }),
  );
  app.get('/', (c) => c.redirect('/console'));
  app.get('/metrics', requireRole('viewer'), async (c) =>
    c.body(await renderMetrics(deps.store, deps.now(), deps.version), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );
  app.route('/api/v1', apiRoutes());
  app.route('/', docsRoutes());
  app.route('/console', consoleRoutes());

  app.notFound((c) => c.json(errorBody(c, 'NOT_FOUND', 'no such route'), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(c, err.code, err.message), err.status);
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof GatewayError && err.errorClass === 'configuration') {
      return c.json(errorBody(c, err.code, err.message), 503);
    }
    deps.logger.error('request failed', { requestId: c.get('requestId'), path: redactPath(c.req.path), error: err.name });
    if (c.req.path.startsWith('/ingest/land/')) {
      return c.json({ Result: 0, Message: 'Cổng liên thông chưa lưu được sự kiện, vui lòng gửi lại sau' }, 503);
    }
    return c.json(errorBody(c, 'INTERNAL', 'the gateway could not complete the request; the request id identifies it in the logs'), 500);
  });
  return app;
}
