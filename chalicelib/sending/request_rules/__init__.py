"""One module per channel: validate an OCA send request into a sending.prepared.Prepared, and shape
the OCA response (per API version). Each `prepare(sender, fields, ...)` raises 406 code 39 naming the field."""
