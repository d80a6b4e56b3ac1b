"""The lab's world model: a seeded estate of vSphere, OpenStack, Kubernetes and StackStorm.

`World.build(seed)` lays out the estate (`vsphere_estate`, `openstack_estate`,
`kube_estate`), writes the cluster's objects into a `KubeStore`, and defines the metric
series (`metrics/`). `World.advance` moves the lab clock. The `*_port` modules serve the
estate through the connector ports. `docs/lab.md` describes the whole model.
"""
