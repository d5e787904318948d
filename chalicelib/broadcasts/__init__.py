"""Broadcasts ("Kirim Massal"): one message to many recipients from an uploaded CSV or XLSX file,
validated first, then sent in chunks through the normal send pipeline, each recipient at most once.

The slice's parts: `plan` (the recipient file's shape shared by validation and the run: the chunk
format, the S3 keys, the per-recipient idempotency key), `recipient_file` (reading CSV/XLSX,
streaming), `validation` (a whole file into chunks of valid recipients plus a file of bad rows), and
the run (models, routes, the chunk worker, the pacer)."""
