"""The CLI's commands, one module per family; each exposes `register(app)`."""
