"""LTI 1.3 tool side (PyLTI1p3): registrations from the database, Coachline's signing keys,
and the message launch with the checks the library leaves to the tool (docs/content-standards.md,
decision 0016)."""
