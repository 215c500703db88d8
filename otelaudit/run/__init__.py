"""Running: the Runner protocol and the one path that spawns measuring children, the phases
of one scenario, parallel jobs, progress, and report assembly."""
