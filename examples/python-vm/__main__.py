"""Harden one existing Azure Windows VM with azure-rdp-guard's RdpHardening component."""

import pulumi
import pulumi_azure_native.compute as compute
import pulumi_azure_rdp_guard as rdp_guard

config = pulumi.Config()
resource_group_name = config.require("resourceGroupName")
vm_name = config.require("vmName")

vm = compute.get_virtual_machine_output(resource_group_name=resource_group_name, vm_name=vm_name)

hardening = rdp_guard.RdpHardening(
    "web-vm-rdp",
    resource_group_name=resource_group_name,
    vm_name=vm_name,
    location=vm.location,
    mode=rdp_guard.HardeningMode.ENFORCE,  # or AUDIT: report drift, change nothing
    security_layer=rdp_guard.SecurityLayer.TLS,
    run_id="1",  # change to run the script again with the same settings
)

pulumi.export("extensionName", hardening.extension_name)
pulumi.export("scriptSha256", hardening.script_sha256)
pulumi.export("settings", hardening.settings)
