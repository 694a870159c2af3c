-- The one-time codes sent to an address, found by the address: a self-service account deletion
-- removes the codes sent to the identity's addresses (also those of flows that name no
-- identity), one indexed lookup per address instead of a scan of the table.
CREATE INDEX one_time_codes_address_idx ON one_time_codes (address);
