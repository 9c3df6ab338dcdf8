import { Hono } from 'hono';
import { z } from 'zod';
import { canonicalDossier, dossierDraft } from '../../contracts';
import type { AppEnv } from '../app';
import { requireRole } from '../auth/middleware';

/**
 * The OpenAPI document of the whole HTTP API, and an interactive page (Swagger UI) served from the
 * runtime's local copy of its files: no CDN, works offline.
 */
const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ok = (description: string, schema: object = { type: 'object' }) => ({ description, content: json(schema) });
const errors = {
  '401': { description: 'Missing, wrong, expired or revoked credentials', content: json(ref('Error')) },
  '403': { description: 'The caller\'s role is too low', content: json(ref('Error')) },
};
const op = (summary: string, role: string, extra: object = {}) => ({ summary: `${summary} (${role})`, tags: [role], responses: { '200': ok('OK'), ...errors }, ...extra });
const bodyOf = (schema: object) => ({ requestBody: { required: true, content: json(schema) } });

export function openApiDocument(version: string) {
  const schemas = {
    CanonicalDossier: z.toJSONSchema(canonicalDossier, { unrepresentable: 'any' }),
    DossierDraft: z.toJSONSchema(dossierDraft, { unrepresentable: 'any' }),
    Error: {
      type: 'object',
      properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } }, requestId: { type: 'string' } },
    },
    LandAnswer: { type: 'object', properties: { Result: { type: 'integer', enum: [0, 1] }, Message: { type: 'string' } } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'lienthong',
      version,
      description:
        'Integration gateway for administrative procedure dossiers. Authenticate with `Authorization: Bearer <token>` (tokens are created by an admin) or a console session. Roles: viewer < operator < admin.',
    },
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'lienthong_session' } },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths: {
      '/healthz': { get: { summary: 'The process is alive (public)', security: [], responses: { '200': ok('alive') } } },
      '/readyz': { get: { summary: 'Database reachable, migrations applied, configuration loaded (public)', security: [], responses: { '200': ok('ready'), '503': ok('not ready') } } },
      '/ingest/land/{securityCode}/{event}': {
        post: {
          summary: 'A land registration callback (public; the security code in the path authenticates it)',
          security: [],
          parameters: [
            { name: 'securityCode', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'event', in: 'path', required: true, schema: { type: 'string', enum: ['TiepNhanHoSo', 'ChuyenHoSo', 'YeuCauBoSungHoSo', 'NhanBoSungHoSo', 'GuiKetQuaThue', 'KetThucHoSo'] } },
          ],
          ...bodyOf({ type: 'object', properties: { SoBienNhan: { type: 'string' } }, required: ['SoBienNhan'] }),
          responses: {
            '200': { description: 'Stored durably', content: json(ref('LandAnswer')) },
            '400': { description: 'Refused; the body is kept for an operator', content: json(ref('LandAnswer')) },
            '401': { description: 'Wrong security code; nothing stored', content: json(ref('LandAnswer')) },
            '415': { description: 'Not application/json', content: json(ref('LandAnswer')) },
          },
        },
      },
      '/metrics': { get: { ...op('Prometheus metrics', 'viewer'), responses: { '200': { description: 'text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors } } },
      '/api/v1/sync/status': { get: op('Deliveries by state per target, age of the oldest pending change; dossiers, holds and poll health per source', 'viewer') },
      '/api/v1/dossiers': { get: op('Search dossiers by any code (source code, one-stop MaHoSo, personal ID)', 'viewer', { parameters: [{ name: 'q', in: 'query', schema: { type: 'string' } }] }) },
      '/api/v1/dossiers/{source}/{externalId}': {
        get: op('One dossier: canonical form, versions, source records, deliveries with every attempt', 'viewer', {
          parameters: [
            { name: 'source', in: 'path', required: true, schema: { type: 'string', enum: ['land', 'civil-status', 'business-registration'] } },
            { name: 'externalId', in: 'path', required: true, schema: { type: 'string' } },
          ],
        }),
      },
      '/api/v1/problems': { get: op('Deliveries waiting for an operator, refused inbound bodies and held dossiers, grouped by reason', 'viewer') },
      '/api/v1/deliveries/replay': {
        post: op('Replay failed or dead deliveries: by ids, or a whole group (target, state, errorCode)', 'operator', bodyOf({ type: 'object', properties: { deliveryIds: { type: 'array', items: { type: 'integer' } }, target: { type: 'string' }, state: { type: 'string' }, errorCode: { type: 'string' } } })),
      },
      '/api/v1/rejected/{id}': { get: op('A refused inbound body with its reason', 'operator', { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }] }) },
      '/api/v1/rejected/resolve': { post: op('Mark refused bodies as handled', 'operator', bodyOf({ type: 'object', properties: { ids: { type: 'array', items: { type: 'integer' } } } })) },
      '/api/v1/held/reprocess': { post: op('Rebuild held dossiers (after a mapping was added) and send those now complete', 'operator', bodyOf({ type: 'object', properties: { source: { type: 'string' }, reason: { type: 'string' }, localCode: { type: 'string' } } })) },
      '/api/v1/mappings': { get: op('The procedure mapping tables in force', 'viewer') },
      '/api/v1/mappings/{source}/{localCode}': { put: op('Add or change a mapping table entry', 'admin', bodyOf({ type: 'object', properties: { nationalCode: { type: 'string' } } })) },
      '/api/v1/drift': { get: op('Open mismatches between targets and the canonical dossiers', 'viewer') },
      '/api/v1/drift/run': { post: op('Run the drift check now', 'operator', bodyOf({ type: 'object', properties: { limit: { type: 'integer' } } })) },
      '/api/v1/drift/resync': { post: op('Send drifted dossiers again (ids or "all")', 'operator', bodyOf({ type: 'object', properties: { ids: {} } })) },
      '/api/v1/tokens': {
        get: op('API tokens (never the tokens themselves)', 'admin'),
        post: op('Create an API token; it is shown once', 'admin', bodyOf({ type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' }, expiresInDays: { type: 'number' } } })),
      },
      '/api/v1/tokens/{id}': { delete: op('Revoke a token', 'admin') },
      '/api/v1/users/{username}': { put: op('Create or change a console user', 'admin', bodyOf({ type: 'object', properties: { password: { type: 'string' }, role: { type: 'string' } } })) },
      '/api/v1/audit': { get: op('The audit log, newest first', 'admin') },
    },
  };
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lienthong API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs-init.js"></script>
</body></html>`;
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', withCredentials: true });`;

export function docsRoutes() {
  const docs = new Hono<AppEnv>();
  docs.use('/openapi.json', requireRole('viewer'));
  docs.use('/docs/*', requireRole('viewer'));
  docs.use('/docs', requireRole('viewer'));
  docs.get('/openapi.json', (c) => c.json(openApiDocument(c.get('deps').version)));
  docs.get('/docs', (c) => c.html(PAGE));
  docs.get('/docs/assets/docs-init.js', (c) => c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  docs.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    if (!/^swagger-ui(-bundle\.js|\.css)$/.test(name)) return c.notFound();
    const res = await c.get('deps').docsAsset?.(name);
    return res ?? c.text('the documentation page\'s files are not available on this runtime', 404);
  });
  return docs;
}
