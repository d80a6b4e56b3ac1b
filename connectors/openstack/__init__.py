"""OpenStack (Keystone projects, Nova, Cinder, Glance, Neutron): the read-side port and its DTOs."""
