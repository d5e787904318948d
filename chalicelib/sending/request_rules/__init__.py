"""One module per channel: validate an OCA send request into a messaging.Prepared, and shape
the OCA response. Each `prepared(sender, fields, ...)` raises 406 code 39 naming the field."""
