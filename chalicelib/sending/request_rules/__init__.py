"""One module per channel: validate an OCA send request into a messaging.Draft, and shape
the OCA response. Each `draft(sender, fields, ...)` raises 406 code 39 naming the field."""
