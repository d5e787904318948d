"""Signed status callbacks (Standard Webhooks), delivered through SQS with retries for a day."""
