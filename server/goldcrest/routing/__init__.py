"""Tiers of models, the router that picks where a request starts, and the escalation cascade."""
