-- Every read Portico makes of these tables is a bounded, index-driven lookup (a page of 250
-- identities, an identity's addresses, one session). Once the address tables passed about
-- 200,000 rows the planner gave the address query of an identity page (identity_id IN (250
-- ids) UNION ALL … ORDER BY) a parallel plan: about 1 ms of work and about 44 ms of starting
-- workers, which took page 1 of the admin list from 110 to 32 requests a second. parallel_workers
-- = 0 takes parallel scans of these tables off the planner's menu, for every connection
-- (a per-connection setting would not survive a transaction-pooling PgBouncer).
ALTER TABLE identities SET (parallel_workers = 0);
ALTER TABLE identity_credentials SET (parallel_workers = 0);
ALTER TABLE identity_credential_identifiers SET (parallel_workers = 0);
ALTER TABLE identity_credential_keys SET (parallel_workers = 0);
ALTER TABLE identity_verifiable_addresses SET (parallel_workers = 0);
ALTER TABLE identity_recovery_addresses SET (parallel_workers = 0);
ALTER TABLE sessions SET (parallel_workers = 0);
ALTER TABLE flows SET (parallel_workers = 0);
