import type { HoldReason, SourceSystem } from '../../contracts';
import type { AppDeps } from '../app';
import { appendAudit } from '../auth/audit';
import { hashPassword, newToken, tokenHash } from '../auth/credentials';
import type { Principal } from '../auth/middleware';
import type { ReplayFilter, Role } from '../store/types';
import { OperatorError } from '../sync/operator';
import { ApiError } from './errors';

/**
 * Operator and admin actions, shared by the JSON API and the console: each does its work, writes
 * the audit log entry (who, what, when, which dossiers) and wakes the delivery workers if needed.
 */
type Ctx = { deps: AppDeps; principal: Principal };

const audit = (ctx: Ctx, action: string, subject: unknown) =>
  appendAudit(ctx.deps.store, { at: ctx.deps.now(), actor: ctx.principal.name, action, subject });

function ops(ctx: Ctx) {
  if (!ctx.deps.ops) throw new ApiError(503, 'NOT_AVAILABLE', 'operator actions are not available on this instance');
  return ctx.deps.ops;
}

async function operator<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof OperatorError) throw new ApiError(400, err.code, err.message);
    throw err;
  }
}

export async function replayDeliveries(ctx: Ctx, filter: ReplayFilter) {
  const dossiers = await ctx.deps.store.replay(filter, ctx.deps.now());
  await audit(ctx, 'deliveries.replay', { filter, dossiers });
  ctx.deps.onWork?.();
  return dossiers;
}

export async function resolveRejected(ctx: Ctx, ids: number[]) {
  const resolved = await ctx.deps.store.resolveRejected(ids, ctx.deps.now());
  await audit(ctx, 'rejected.resolve', { ids });
  return resolved;
}

export async function reprocessHeld(ctx: Ctx, filter: { source?: SourceSystem; reason?: HoldReason; localCode?: string }) {
  const result = await operator(ops(ctx).reprocess(filter));
  await audit(ctx, 'held.reprocess', { filter, released: result.dossiers });
  ctx.deps.onWork?.();
  return result;
}

export async function setMapping(ctx: Ctx, source: SourceSystem, localCode: string, nationalCode: string) {
  await operator(ops(ctx).setMapping(source, localCode, nationalCode));
  await audit(ctx, 'mapping.set', { source, localCode, nationalCode });
}

export async function runDrift(ctx: Ctx, limit?: number) {
  const reports = await ops(ctx).reconcile(limit);
  await audit(ctx, 'drift.run', { reports });
  return reports;
}

export async function resyncDrift(ctx: Ctx, ids: number[] | 'all') {
  const dossiers = await ops(ctx).resync(ids);
  await audit(ctx, 'drift.resync', { ids, dossiers });
  ctx.deps.onWork?.();
  return dossiers;
}

export async function createApiToken(ctx: Ctx, input: { name: string; role: Role; expiresInDays?: number }) {
  const { store, now } = ctx.deps;
  const token = newToken();
  const expiresAt = input.expiresInDays ? now() + input.expiresInDays * 86_400_000 : null;
  const id = await store.createToken({ name: input.name, role: input.role, tokenHash: await tokenHash(token), createdBy: ctx.principal.name, expiresAt }, now());
  await audit(ctx, 'token.create', { id, name: input.name, role: input.role });
  return { id, token };
}

export async function revokeApiToken(ctx: Ctx, id: number) {
  if (!(await ctx.deps.store.revokeToken(id, ctx.deps.now()))) throw new ApiError(404, 'NOT_FOUND', 'no such active token');
  await audit(ctx, 'token.revoke', { id });
}

export async function putUser(ctx: Ctx, username: string, password: string, role: Role) {
  if (!/^[a-z0-9._-]{2,64}$/i.test(username)) throw new ApiError(400, 'BAD_USERNAME', 'user names are 2-64 letters, digits, dots, dashes or underscores');
  if (password.length < 10) throw new ApiError(400, 'WEAK_PASSWORD', 'passwords are at least 10 characters');
  await ctx.deps.store.putUser({ username, passwordHash: await hashPassword(password), role }, ctx.deps.now());
  await audit(ctx, 'user.put', { username, role });
}
