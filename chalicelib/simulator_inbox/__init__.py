"""The local test inbox: what the simulator provider "delivered", readable in full (local stage only)."""
