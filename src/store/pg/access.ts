import { desc, eq, lt, sql } from 'drizzle-orm';
import type { AuditEntry, Role, Store, TokenRecord } from '../types';
import type { Db } from './db';
import * as t from './schema';

/** Users, API tokens (hashed), the hash-chained audit log, and settings. */
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

export function pgAccess(db: Db): Access {
  return {
    async getSetting(key) {
      const [row] = await db.select().from(t.settings).where(eq(t.settings.key, key));
      return row?.value ?? null;
    },
    async putSetting(key, value) {
      await db.insert(t.settings).values({ key, value }).onConflictDoUpdate({ target: t.settings.key, set: { value } });
    },
    async initSetting(key, value) {
      // Two instances starting at once both insert; the row committed first wins and both read it.
      await db.insert(t.settings).values({ key, value }).onConflictDoNothing();
      const [row] = await db.select().from(t.settings).where(eq(t.settings.key, key));
      return row!.value;
    },
    async countUsers() {
      const [row] = await db.select({ n: sql<number>`COUNT(*)::int` }).from(t.users).where(sql`${t.users.disabledAt} IS NULL`);
      return row?.n ?? 0;
    },
    async getUser(username) {
      const [r] = await db.select().from(t.users).where(eq(t.users.username, username));
      return r ? { username: r.username, passwordHash: r.passwordHash, role: r.role as Role, disabledAt: r.disabledAt } : null;
    },
    async putUser(user, now) {
      await db
        .insert(t.users)
        .values({ ...user, createdAt: now })
        .onConflictDoUpdate({ target: t.users.username, set: { passwordHash: user.passwordHash, role: user.role, disabledAt: null } });
    },
    async createToken(token, now) {
      const [row] = await db.insert(t.apiTokens).values({ ...token, createdAt: now }).returning({ id: t.apiTokens.id });
      return row!.id;
    },
    async findToken(tokenHash) {
      const [r] = await db.select().from(t.apiTokens).where(eq(t.apiTokens.tokenHash, tokenHash));
      return r ? tokenView(r) : null;
    },
    async listTokens() {
      return (await db.select().from(t.apiTokens).orderBy(desc(t.apiTokens.id))).map(tokenView);
    },
    async revokeToken(id, now) {
      const rows = await db
        .update(t.apiTokens)
        .set({ revokedAt: now })
        .where(sql`${t.apiTokens.id} = ${id} AND ${t.apiTokens.revokedAt} IS NULL`)
        .returning({ id: t.apiTokens.id });
      return rows.length > 0;
    },
    async touchToken(id, now) {
      await db.update(t.apiTokens).set({ lastUsedAt: now }).where(eq(t.apiTokens.id, id));
    },
    async lastAudit() {
      const [row] = await db.select().from(t.auditLog).orderBy(desc(t.auditLog.seq)).limit(1);
      return (row as AuditEntry | undefined) ?? null;
    },
    async appendAudit(entry) {
      // A concurrent writer of the same seq makes this wait for its commit, then insert nothing.
      const rows = await db.insert(t.auditLog).values(entry).onConflictDoNothing().returning({ seq: t.auditLog.seq });
      return rows.length > 0;
    },
    async listAudit({ limit, beforeSeq }) {
      const q = db.select().from(t.auditLog);
      return (await (beforeSeq !== undefined ? q.where(lt(t.auditLog.seq, beforeSeq)) : q).orderBy(desc(t.auditLog.seq)).limit(limit)) as AuditEntry[];
    },
  };
}
