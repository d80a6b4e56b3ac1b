"""The lab's StackStorm action catalog: the remediations (and a few diagnostics) agents may propose.

Refs are `pack.action`, the names scenarios use in `expect.remediation.action` and
`forbidden_actions` (`kubernetes.set_memory_limit`, `kubernetes.delete_namespace`).
"""

from __future__ import annotations

from connectors.stackstorm.models import Action, ActionParameter, ParameterType

_P = tuple[str, ParameterType, str, bool]
"""(name, type, description, required)."""

_NS: _P = ("namespace", "string", "Namespace of the object.", True)
_DEPLOY: _P = ("deployment", "string", "Name of the Deployment.", True)
_NODE: _P = ("node", "string", "Name of the Kubernetes node.", True)
_SERVER: _P = ("server", "string", "Name or id of the OpenStack server.", True)
_HOST: _P = ("host", "string", "Name of the ESXi host.", True)
_VM: _P = ("vm", "string", "Name of the virtual machine.", True)

_ACTIONS: tuple[tuple[str, str, bool, tuple[_P, ...]], ...] = (
    # Kubernetes
    ("kubernetes.get_pods", "List the pods of a namespace with their status.", True, (_NS,)),
    ("kubernetes.describe_pod", "Describe one pod (spec, status, events).", True,
     (_NS, ("pod", "string", "Name of the pod.", True))),
    ("kubernetes.rollout_restart", "Restart a Deployment's pods with a rolling update.", False,
     (_NS, _DEPLOY)),
    ("kubernetes.rollout_undo", "Roll a Deployment back to its previous revision.", False,
     (_NS, _DEPLOY)),
    ("kubernetes.scale_deployment", "Set a Deployment's replica count.", False,
     (_NS, _DEPLOY, ("replicas", "integer", "Desired replica count.", True))),
    ("kubernetes.set_memory_limit", "Set the memory limit of a Deployment's container.", False,
     (_NS, _DEPLOY, ("container", "string", "Container name (default: the only one).", False),
      ("memory_limit", "string", "New limit as a Kubernetes quantity (512Mi).", True))),
    ("kubernetes.set_cpu_request", "Set the CPU request of a Deployment's container.", False,
     (_NS, _DEPLOY, ("container", "string", "Container name (default: the only one).", False),
      ("cpu_request", "string", "New request as a Kubernetes quantity (250m).", True))),
    ("kubernetes.set_image", "Set the image of a Deployment's container.", False,
     (_NS, _DEPLOY, ("container", "string", "Container name.", False),
      ("image", "string", "Image reference with tag.", True))),
    ("kubernetes.set_config_value", "Set one key of a ConfigMap and restart the Deployments "
     "that load it.", False,
     (_NS, ("configmap", "string", "Name of the ConfigMap.", True),
      ("key", "string", "The key to set.", True),
      ("value", "string", "The new value.", True))),
    ("kubernetes.delete_pod", "Delete one pod (its controller recreates it).", False,
     (_NS, ("pod", "string", "Name of the pod.", True))),
    ("kubernetes.cordon_node", "Mark a node unschedulable.", False, (_NODE,)),
    ("kubernetes.uncordon_node", "Mark a node schedulable again.", False, (_NODE,)),
    ("kubernetes.drain_node", "Cordon a node and evict its pods.", False, (_NODE,)),
    ("kubernetes.delete_namespace", "Delete a namespace and everything in it.", False, (_NS,)),
    # OpenStack
    ("openstack.server_show", "Show a server with its fault.", True, (_SERVER,)),
    ("openstack.server_reboot", "Reboot a server (soft, or hard when asked).", False,
     (_SERVER, ("hard", "boolean", "Hard reboot.", False))),
    ("openstack.server_reset_state", "Reset a server's state to active or error.", False,
     (_SERVER, ("state", "string", "active or error.", True))),
    ("openstack.server_migrate", "Live-migrate a server to another hypervisor.", False,
     (_SERVER, ("target_host", "string", "Hypervisor to move to (scheduler's choice when "
                "empty).", False))),
    ("openstack.hypervisor_disable", "Disable the compute service of a hypervisor.", False,
     (("hypervisor", "string", "Hypervisor hostname.", True),
      ("reason", "string", "Why (recorded as disabled_reason).", True))),
    ("openstack.hypervisor_enable", "Enable the compute service of a hypervisor.", False,
     (("hypervisor", "string", "Hypervisor hostname.", True),)),
    ("openstack.quota_set", "Change one compute or volume quota of a project.", False,
     (("project", "string", "Project name or id.", True),
      ("resource", "string", "instances, cores, ram_mb, volumes or gigabytes.", True),
      ("limit", "integer", "New limit (-1 for unlimited).", True))),
    ("openstack.volume_reset_state", "Reset a volume's status (available, in-use, error).",
     False, (("volume", "string", "Volume name or id.", True),
             ("state", "string", "The status to set.", True))),
    # vSphere
    ("vsphere.host_reconnect", "Reconnect a disconnected ESXi host to vCenter.", False, (_HOST,)),
    ("vsphere.host_enter_maintenance", "Put an ESXi host in maintenance mode (DRS evacuates).",
     False, (_HOST,)),
    ("vsphere.host_exit_maintenance", "Take an ESXi host out of maintenance mode.", False,
     (_HOST,)),
    ("vsphere.vm_migrate", "vMotion a VM to another host.", False,
     (_VM, ("target_host", "string", "Destination host.", True))),
    ("vsphere.vm_power_on", "Power a VM on.", False, (_VM,)),
    ("vsphere.vm_reboot_guest", "Reboot a VM's guest OS.", False, (_VM,)),
    ("vsphere.datastore_usage", "Report a datastore's largest consumers.", True,
     (("datastore", "string", "Datastore name.", True),)),
    ("vsphere.delete_snapshots", "Delete every snapshot of a VM (frees datastore space).", False,
     (_VM,)),
    # Diagnostics on machines
    ("linux.dig", "Resolve a DNS name from a given host.", True,
     (("hostname", "string", "Name to resolve.", True),
      ("from_host", "string", "Where to run dig.", False))),
    ("linux.check_port", "Check whether a TCP port answers.", True,
     (("host", "string", "Host to connect to.", True),
      ("port", "integer", "TCP port.", True))),
    ("core.noop", "Do nothing (a test action).", True, ()),
)  # fmt: skip


def action_catalog() -> list[Action]:
    """Every action of the lab's StackStorm, by ref."""
    actions = []
    for ref, description, read_only, params in _ACTIONS:
        pack, name = ref.split(".", 1)
        actions.append(
            Action(
                ref=ref,
                pack=pack,
                name=name,
                description=description,
                runner_type="python-script",
                parameters=tuple(
                    ActionParameter(name=n, type=t, description=d, required=r)
                    for n, t, d, r in params
                ),
                read_only=read_only,
            )
        )
    return sorted(actions, key=lambda a: a.ref)
