import { defineConfig } from 'drizzle-kit';

/**
 * The PostgreSQL migrations: `npx drizzle-kit generate --config drizzle.pg.config.ts`. Tables are
 * unqualified in them; the store applies them inside its own schema (search_path).
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/pg/schema.ts',
  out: './src/store/pg/migrations',
});
