# The sample's DNS half on one machine: the app container groups' private IPs kept in the
# private zone, against the local Azure emulator (`make demo` starts it and runs this).
terraform {
  required_version = ">= 1.0.3"
  required_providers {
    aci = {
      source  = "acilab/aci"
      version = "0.1.0"
    }
  }
}

# Settings come from ARM_* variables (make demo points them at the emulator).
provider "aci" {}

locals {
  resource_group_id = "/subscriptions/${var.subscription_id}/resourceGroups/${var.resource_group_name}"
}

resource "aci_private_dns_sync" "app" {
  private_dns_zone_id = "${local.resource_group_id}/providers/Microsoft.Network/privateDnsZones/${var.private_zone_name}"
  name                = var.record_name
  container_group_ids = [for g in var.container_group_names : "${local.resource_group_id}/providers/Microsoft.ContainerInstance/containerGroups/${g}"]
}
