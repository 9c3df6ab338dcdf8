import { desc, eq, lt, sql } from 'drizzle-orm';
import type { AuditEntry, Role, Store, TokenRecord } from '../types';
import { changesOf, type AnySqliteDb } from './rows';
import * as t from './schema';

/** Users, API tokens (hashed), the hash-chained audit log, and settings: one statement each, on both SQLite drivers. */
type Access = Pick<
  Store,
  | 'getSetting'
  | 'initSetting'
  | 'putSetting'
  | 'countUsers'
  | 'getUser'
  | 'putUser'
  | 'createToken'
  | 'findToken'
  | 'listTokens'
  | 'revokeToken'
  | 'touchToken'
  | 'lastAudit'
  | 'appendAudit'
  | 'listAudit'
>;

const tokenView = (r: typeof t.apiTokens.$inferSelect): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
  revokedAt: r.revokedAt,
  lastUsedAt: r.lastUsedAt,
});

export function sqliteAccess(db: AnySqliteDb): Access {
  return {
    async getSetting(key) {
      return (await db.select().from(t.settings).where(eq(t.settings.key, key)).get())?.value ?? null;
    },
    async putSetting(key, value) {
      await db.insert(t.settings).values({ key, value }).onConflictDoUpdate({ target: t.settings.key, set: { value } }).run();
    },
    async initSetting(key, value) {
      await db.insert(t.settings).values({ key, value }).onConflictDoNothing().run();
      return (await db.select().from(t.settings).where(eq(t.settings.key, key)).get())!.value;
    },
    async countUsers() {
      return (await db.get<{ n: number } | undefined>(sql`SELECT COUNT(*) AS n FROM users WHERE disabled_at IS NULL`))?.n ?? 0;
    },
    async getUser(username) {
      const r = await db.select().from(t.users).where(eq(t.users.username, username)).get();
      return r ? { username: r.username, passwordHash: r.passwordHash, role: r.role as Role, disabledAt: r.disabledAt } : null;
    },
    async putUser(user, now) {
      await db
        .insert(t.users)
        .values({ ...user, createdAt: now })
        .onConflictDoUpdate({ target: t.users.username, set: { passwordHash: user.passwordHash, role: user.role, disabledAt: null } })
        .run();
    },
    async createToken(token, now) {
      return (await db.insert(t.apiTokens).values({ ...token, createdAt: now }).returning({ id: t.apiTokens.id }).get()).id;
    },
    async findToken(tokenHash) {
      const r = await db.select().from(t.apiTokens).where(eq(t.apiTokens.tokenHash, tokenHash)).get();
      return r ? tokenView(r) : null;
    },
    async listTokens() {
      return (await db.select().from(t.apiTokens).orderBy(desc(t.apiTokens.id)).all()).map(tokenView);
    },
    async revokeToken(id, now) {
      return changesOf(await db.update(t.apiTokens).set({ revokedAt: now }).where(sql`${t.apiTokens.id} = ${id} AND ${t.apiTokens.revokedAt} IS NULL`).run()) > 0;
    },
    async touchToken(id, now) {
      await db.update(t.apiTokens).set({ lastUsedAt: now }).where(eq(t.apiTokens.id, id)).run();
    },
    async lastAudit() {
      return ((await db.select().from(t.auditLog).orderBy(desc(t.auditLog.seq)).limit(1).get()) as AuditEntry | undefined) ?? null;
    },
    async appendAudit(entry) {
      return changesOf(await db.insert(t.auditLog).values(entry).onConflictDoNothing().run()) > 0;
    },
    async listAudit({ limit, beforeSeq }) {
      const q = db.select().from(t.auditLog);
      return (await (beforeSeq !== undefined ? q.where(lt(t.auditLog.seq, beforeSeq)) : q).orderBy(desc(t.auditLog.seq)).limit(limit).all()) as AuditEntry[];
    },
  };
}
