"""On-call schedules: layered rotations, restrictions, overrides and time off, resolved purely."""
