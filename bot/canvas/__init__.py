"""The live post-mortem canvas: what it shows (layout), how it changes (plan), who writes it (updater)."""
