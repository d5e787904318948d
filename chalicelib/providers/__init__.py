"""One adapter per real service, plus a simulator, behind the small interface in base.py."""
