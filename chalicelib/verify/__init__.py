"""The Verify API: one-time codes generated, sent, checked and expired for the customer."""
