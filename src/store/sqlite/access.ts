import { desc, eq, lt, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { AuditEntry, Role, Store, TokenRecord } from '../types';
import * as t from './schema';

/** Users, API tokens (hashed), the hash-chained audit log, and settings. */
type Db = BetterSQLite3Database<typeof t>;
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

export function sqliteAccess(db: Db): Access {
  return {
    async getSetting(key) {
      return db.select().from(t.settings).where(eq(t.settings.key, key)).get()?.value ?? null;
    },
    async putSetting(key, value) {
      db.insert(t.settings).values({ key, value }).onConflictDoUpdate({ target: t.settings.key, set: { value } }).run();
    },
    async initSetting(key, value) {
      db.insert(t.settings).values({ key, value }).onConflictDoNothing().run();
      return db.select().from(t.settings).where(eq(t.settings.key, key)).get()!.value;
    },
    async countUsers() {
      return db.get<{ n: number }>(sql`SELECT COUNT(*) AS n FROM users WHERE disabled_at IS NULL`)?.n ?? 0;
    },
    async getUser(username) {
      const r = db.select().from(t.users).where(eq(t.users.username, username)).get();
      return r ? { username: r.username, passwordHash: r.passwordHash, role: r.role as Role, disabledAt: r.disabledAt } : null;
    },
    async putUser(user, now) {
      db.insert(t.users)
        .values({ ...user, createdAt: now })
        .onConflictDoUpdate({ target: t.users.username, set: { passwordHash: user.passwordHash, role: user.role, disabledAt: null } })
        .run();
    },
    async createToken(token, now) {
      return db.insert(t.apiTokens).values({ ...token, createdAt: now }).returning({ id: t.apiTokens.id }).get().id;
    },
    async findToken(tokenHash) {
      const r = db.select().from(t.apiTokens).where(eq(t.apiTokens.tokenHash, tokenHash)).get();
      return r ? tokenView(r) : null;
    },
    async listTokens() {
      return db.select().from(t.apiTokens).orderBy(desc(t.apiTokens.id)).all().map(tokenView);
    },
    async revokeToken(id, now) {
      return db.update(t.apiTokens).set({ revokedAt: now }).where(sql`${t.apiTokens.id} = ${id} AND ${t.apiTokens.revokedAt} IS NULL`).run().changes > 0;
    },
    async touchToken(id, now) {
      db.update(t.apiTokens).set({ lastUsedAt: now }).where(eq(t.apiTokens.id, id)).run();
    },
    async lastAudit() {
      return (db.select().from(t.auditLog).orderBy(desc(t.auditLog.seq)).limit(1).get() as AuditEntry | undefined) ?? null;
    },
    async appendAudit(entry) {
      return db.insert(t.auditLog).values(entry).onConflictDoNothing().run().changes > 0;
    },
    async listAudit({ limit, beforeSeq }) {
      const q = db.select().from(t.auditLog);
      return (beforeSeq !== undefined ? q.where(lt(t.auditLog.seq, beforeSeq)) : q).orderBy(desc(t.auditLog.seq)).limit(limit).all() as AuditEntry[];
    },
  };
}
