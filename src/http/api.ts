import { Hono } from 'hono';
import { z } from 'zod';
import type { Context } from 'hono';
import { HOLD_REASONS, nationalProcedureCode, sourceSystem, targetSystem } from '../../contracts';
import type { AppEnv } from '../app';
import { requireRole } from '../auth/middleware';
import * as actions from './actions';
import { ApiError } from './errors';

/**
 * The JSON API. Reading needs the viewer role; replaying, resyncing and reprocessing the operator
 * role; mapping tables, users and tokens the admin role. Every operator and admin action is
 * written to the audit log with the dossiers it touched.
 */
async function body<T>(c: { req: { json(): Promise<unknown> } }, schema: z.ZodType<T>): Promise<T> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new ApiError(400, 'BAD_JSON', 'the request body must be JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(400, 'BAD_REQUEST', `${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const ctx = (c: Context<AppEnv>) => ({ deps: c.get('deps'), principal: c.get('principal')! });

export function apiRoutes() {
  const api = new Hono<AppEnv>();

  api.use(requireRole('viewer'));

  api.get('/sync/status', async (c) => {
    const { store, now } = c.get('deps');
    const at = now();
    const status = await store.syncStatus(at);
    return c.json({
      at: new Date(at).toISOString(),
      targets: Object.fromEntries(
        Object.entries(status.targets).map(([target, t]) => [
          target,
          { counts: t.counts, oldestPendingSeconds: t.oldestPendingMs === null ? null : Math.round(t.oldestPendingMs / 1000) },
        ]),
      ),
      sources: status.sources,
    });
  });

  api.get('/dossiers', async (c) => {
    const q = c.req.query('q') ?? '';
    return c.json({ items: await c.get('deps').store.searchDossiers(q, Math.min(Number(c.req.query('limit') ?? 50) || 50, 500)) });
  });

  api.get('/dossiers/:source/:externalId', async (c) => {
    const source = sourceSystem.safeParse(c.req.param('source'));
    if (!source.success) throw new ApiError(404, 'UNKNOWN_SOURCE', `unknown source system; expected one of ${sourceSystem.options.join(', ')}`);
    const view = await c.get('deps').store.getDossierView(source.data, c.req.param('externalId'));
    if (!view) throw new ApiError(404, 'DOSSIER_NOT_FOUND', 'no dossier with that source and identifier');
    return c.json(view);
  });

  api.get('/problems', async (c) => c.json(await c.get('deps').store.problemGroups(Number(c.req.query('samples') ?? 20) || 20)));

  api.post('/deliveries/replay', requireRole('operator'), async (c) => {
    const filter = await body(
      c,
      z
        .object({
          deliveryIds: z.array(z.number().int()).max(10_000).optional(),
          target: targetSystem.optional(),
          state: z.enum(['failed', 'dead']).optional(),
          errorCode: z.string().optional(),
        })
        .strict()
        .refine((f) => f.deliveryIds !== undefined || f.target !== undefined, 'give deliveryIds, or a target (with an optional state and errorCode) for a whole group'),
    );
    const dossiers = await actions.replayDeliveries(ctx(c), filter);
    return c.json({ replayed: dossiers.length, dossiers });
  });

  api.get('/rejected/:id', requireRole('operator'), async (c) => {
    const record = await c.get('deps').store.getRejected(Number(c.req.param('id')));
    if (!record) throw new ApiError(404, 'NOT_FOUND', 'no such rejected record');
    return c.json(record);
  });

  api.post('/rejected/resolve', requireRole('operator'), async (c) => {
    const { ids } = await body(c, z.object({ ids: z.array(z.number().int()).min(1).max(10_000) }).strict());
    return c.json({ resolved: await actions.resolveRejected(ctx(c), ids) });
  });

  api.post('/held/reprocess', requireRole('operator'), async (c) => {
    const filter = await body(c, z.object({ source: sourceSystem.optional(), reason: z.enum(HOLD_REASONS).optional(), localCode: z.string().optional() }).strict());
    return c.json(await actions.reprocessHeld(ctx(c), filter));
  });

  api.get('/mappings', (c) => {
    if (!c.get('deps').ops) throw new ApiError(503, 'NOT_AVAILABLE', 'mapping tables are not available on this instance');
    return c.json(c.get('deps').ops!.mappings());
  });

  api.put('/mappings/:source/:localCode', requireRole('admin'), async (c) => {
    const source = sourceSystem.safeParse(c.req.param('source'));
    if (!source.success) throw new ApiError(404, 'UNKNOWN_SOURCE', 'unknown source system');
    const { nationalCode } = await body(c, z.object({ nationalCode: nationalProcedureCode }).strict());
    const localCode = c.req.param('localCode');
    await actions.setMapping(ctx(c), source.data, localCode, nationalCode);
    return c.json({ source: source.data, localCode, nationalCode });
  });

  api.get('/drift', async (c) => c.json({ findings: await c.get('deps').store.openDrift() }));

  api.post('/drift/run', requireRole('operator'), async (c) => {
    const { limit } = await body(c, z.object({ limit: z.number().int().min(1).max(100_000).optional() }).strict());
    const reports = await actions.runDrift(ctx(c), limit);
    return c.json({ reports, findings: await c.get('deps').store.openDrift() });
  });

  api.post('/drift/resync', requireRole('operator'), async (c) => {
    const { ids } = await body(c, z.object({ ids: z.union([z.array(z.number().int()).min(1), z.literal('all')]) }).strict());
    return c.json({ resynced: await actions.resyncDrift(ctx(c), ids) });
  });

  api.get('/tokens', requireRole('admin'), async (c) => c.json({ tokens: await c.get('deps').store.listTokens() }));

  api.post('/tokens', requireRole('admin'), async (c) => {
    const input = await body(
      c,
      z.object({ name: z.string().min(1).max(100), role: z.enum(['viewer', 'operator', 'admin']), expiresInDays: z.number().positive().max(3650).optional() }).strict(),
    );
    const { id, token } = await actions.createApiToken(ctx(c), input);
    // The token is shown this once; only its hash is kept.
    return c.json({ id, name: input.name, role: input.role, token }, 201);
  });

  api.delete('/tokens/:id', requireRole('admin'), async (c) => {
    const id = Number(c.req.param('id'));
    await actions.revokeApiToken(ctx(c), id);
    return c.json({ revoked: id });
  });

  api.put('/users/:username', requireRole('admin'), async (c) => {
    const input = await body(c, z.object({ password: z.string(), role: z.enum(['viewer', 'operator', 'admin']) }).strict());
    await actions.putUser(ctx(c), c.req.param('username'), input.password, input.role);
    return c.json({ username: c.req.param('username'), role: input.role });
  });

  api.get('/audit', requireRole('admin'), async (c) => {
    const before = c.req.query('before');
    return c.json({ entries: await c.get('deps').store.listAudit({ limit: 200, ...(before ? { beforeSeq: Number(before) } : {}) }) });
  });

  return api;
}
