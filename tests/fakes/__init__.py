"""Local stand-ins for external services that moto does not cover (Meta's Graph API)."""
