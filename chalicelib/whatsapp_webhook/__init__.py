"""Meta's WhatsApp webhook: read by providers.meta_whatsapp (which knows no tables), applied by the
slices that own what it changes (messages, templates)."""
