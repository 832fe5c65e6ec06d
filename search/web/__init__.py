"""The search server: routes, guards, templates."""
