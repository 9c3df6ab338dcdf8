import type { Logger } from '../lib/log';
import type { Store } from '../store/types';
import { hashPassword, randomSecret } from './credentials';

/**
 * First start: the key that signs console sessions (kept in the database, shared by every
 * instance), and a first admin from LIENTHONG_ADMIN_PASSWORD when the database has no user yet.
 */
export async function bootstrapAccess(store: Store, env: Record<string, string | undefined>, logger: Logger, now: number): Promise<{ sessionSecret: string }> {
  const sessionSecret = await store.initSetting('session-secret', randomSecret());
  if ((await store.countUsers()) === 0) {
    const password = env['LIENTHONG_ADMIN_PASSWORD'];
    const username = env['LIENTHONG_ADMIN_USER'] ?? 'admin';
    if (password) {
      await store.putUser({ username, passwordHash: await hashPassword(password), role: 'admin' }, now);
      logger.info('first admin user created', { username });
    } else {
      logger.warn('no console user yet: set LIENTHONG_ADMIN_PASSWORD (and optionally LIENTHONG_ADMIN_USER) to create the first admin');
    }
  }
  return { sessionSecret };
}
