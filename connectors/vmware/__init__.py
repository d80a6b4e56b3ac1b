"""VMware vSphere (vCenter inventory and usage): the read-side port and its DTOs."""
