-- A flow's documents are stored as bytes, so that the store can send and keep them in the
-- smaller forms SQLite already uses (sqlstore/flowdoc.go): data as an S2 block (8.4 KB of
-- JSON in 2.2 KB for a settings flow with every second factor on), private as the bytes its
-- sealed base64url text encodes (4.3 KB in 3.2 KB). As text, each new flow sent 12.7 KB to the
-- server, which compressed the JSON again itself (pglz) and decompressed it at every read.
-- Rows written before keep their text as its UTF-8 bytes, which the store reads as text.
-- The rewrite takes the table's lock for as long as it copies the rows; flows live minutes, so
-- the table is small wherever the cleanup runs.
ALTER TABLE flows
  ALTER COLUMN data TYPE bytea USING convert_to(data, 'UTF8'),
  ALTER COLUMN private TYPE bytea USING convert_to(private, 'UTF8');
