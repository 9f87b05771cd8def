"""Nexus: a self-hosted learning server for Indonesian senior high schools."""
