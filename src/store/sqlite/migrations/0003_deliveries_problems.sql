DROP INDEX `deliveries_due`;--> statement-breakpoint
CREATE INDEX `deliveries_problems` ON `deliveries` (`target`,`state`) WHERE state IN ('failed', 'dead');