CREATE TABLE `deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`dossier_id` integer NOT NULL,
	`target` text NOT NULL,
	`state` text NOT NULL,
	`want_version` integer NOT NULL,
	`sent_version` integer,
	`pending_since` integer,
	`next_attempt_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`first_failed_at` integer,
	`last_error_class` text,
	`last_error_code` text,
	`last_error` text,
	`lease_owner` text,
	`lease_until` integer,
	`uncertain` integer DEFAULT false NOT NULL,
	`remote_id` text,
	`remote_code` text,
	`remote_status` integer,
	`remote_fields_hash` text,
	`remote_steps` text DEFAULT '[]' NOT NULL,
	`delivered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_dossier_target` ON `deliveries` (`dossier_id`,`target`);--> statement-breakpoint
CREATE INDEX `deliveries_due` ON `deliveries` (`target`,`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `delivery_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` integer NOT NULL,
	`version` integer NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`outcome` text NOT NULL,
	`error_class` text,
	`error_code` text,
	`message` text,
	`http_status` integer,
	`operations` text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `delivery_attempts_delivery` ON `delivery_attempts` (`delivery_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `dossier_versions` (
	`dossier_id` integer NOT NULL,
	`version` integer NOT NULL,
	`canonical` text NOT NULL,
	`source_record_id` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`dossier_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `dossiers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`external_id` text NOT NULL,
	`source_code` text NOT NULL,
	`version` integer NOT NULL,
	`status` text NOT NULL,
	`hold_reason` text,
	`hold_detail` text,
	`national_code` text,
	`local_code` text,
	`received_at_ms` integer,
	`canonical` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dossiers_source_external` ON `dossiers` (`source`,`external_id`);--> statement-breakpoint
CREATE INDEX `dossiers_hold` ON `dossiers` (`hold_reason`);--> statement-breakpoint
CREATE INDEX `dossiers_source_code` ON `dossiers` (`source_code`);--> statement-breakpoint
CREATE TABLE `poll_cursors` (
	`source` text PRIMARY KEY NOT NULL,
	`cursor` text NOT NULL,
	`last_poll_at` integer,
	`last_success_at` integer,
	`last_error` text,
	`lease_owner` text,
	`lease_until` integer,
	`updated_at` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rejected_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`external_id` text,
	`kind` text,
	`reason_code` text NOT NULL,
	`content_hash` text NOT NULL,
	`reason` text NOT NULL,
	`body` text NOT NULL,
	`received_at` integer NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE INDEX `rejected_records_source` ON `rejected_records` (`source`,`received_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `rejected_records_content` ON `rejected_records` (`source`,`content_hash`);--> statement-breakpoint
CREATE TABLE `source_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`source` text NOT NULL,
	`external_id` text NOT NULL,
	`kind` text NOT NULL,
	`source_time` text NOT NULL,
	`source_time_ms` integer NOT NULL,
	`content_hash` text NOT NULL,
	`marker` text,
	`body` text NOT NULL,
	`fragment` text,
	`status` text NOT NULL,
	`received_at` integer NOT NULL,
	`dossier_id` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `source_records_content` ON `source_records` (`source`,`external_id`,`content_hash`);--> statement-breakpoint
CREATE INDEX `source_records_dossier` ON `source_records` (`source`,`external_id`,`source_time_ms`);