"""Scheduled jobs (APScheduler) that call services."""
