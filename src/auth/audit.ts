import { sha256Hex, stableStringify } from '../lib/hash';
import type { AuditEntry, Store } from '../store/types';

/**
 * The audit log: every operator and admin action (who, what, when, which dossiers), append-only,
 * each entry's hash covering the previous entry's hash, so that any change to the past breaks
 * the chain from that point on.
 */
export const GENESIS = '0'.repeat(64);

export function entryHash(entry: Omit<AuditEntry, 'hash'>): Promise<string> {
  return sha256Hex(`${entry.prevHash}\n${stableStringify({ seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action, subject: entry.subject })}`);
}

export async function appendAudit(store: Store, input: { at: number; actor: string; action: string; subject: unknown }): Promise<AuditEntry> {
  const subject = stableStringify(input.subject ?? {});
  for (let attempt = 0; attempt < 20; attempt++) {
    const last = await store.lastAudit();
    const base = { seq: (last?.seq ?? 0) + 1, at: input.at, actor: input.actor, action: input.action, subject, prevHash: last?.hash ?? GENESIS };
    const entry = { ...base, hash: await entryHash(base) };
    // Another instance may have taken this seq in between: chain to its entry instead.
    if (await store.appendAudit(entry)) return entry;
  }
  throw new Error('could not append to the audit log');
}

export interface ChainReport {
  ok: boolean;
  entries: number;
  /** The first entry that does not chain, if any. */
  brokenAt?: number;
  reason?: string;
}

/** Verifies entries given oldest first. */
export async function verifyChain(entries: readonly AuditEntry[]): Promise<ChainReport> {
  let prev = GENESIS;
  let seq = 0;
  for (const e of entries) {
    if (e.seq !== seq + 1) return { ok: false, entries: entries.length, brokenAt: e.seq, reason: `entry ${seq + 1} is missing` };
    if (e.prevHash !== prev) return { ok: false, entries: entries.length, brokenAt: e.seq, reason: 'does not point at the previous entry' };
    if ((await entryHash(e)) !== e.hash) return { ok: false, entries: entries.length, brokenAt: e.seq, reason: 'its content does not match its hash' };
    prev = e.hash;
    seq = e.seq;
  }
  return { ok: true, entries: entries.length };
}

/** Reads the whole log from the store, oldest first, and verifies it. */
export async function verifyStoreAudit(store: Store): Promise<ChainReport> {
  const all: AuditEntry[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await store.listAudit({ limit: 1000, beforeSeq: before });
    if (page.length === 0) break;
    all.push(...page);
    before = page.at(-1)!.seq;
  }
  return verifyChain(all.reverse());
}
