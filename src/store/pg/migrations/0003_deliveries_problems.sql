DROP INDEX "deliveries_due";--> statement-breakpoint
CREATE INDEX "deliveries_problems" ON "deliveries" USING btree ("target","state") WHERE state IN ('failed', 'dead');