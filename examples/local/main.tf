# The whole sample on one machine (`make demo`): the same `certificate` and `dns-sync` modules as
# examples/full, applied against the local Azure emulator. pebble (Let's Encrypt's test CA) issues
# the wildcard certificate into the emulated Key Vault; the private zone gets the records of the
# app groups and of the dashboard group, which the groups' agents keep current between applies.
# make demo copies this directory to .demo/examples/local (next to a link to terraform/), so the
# module sources below resolve as they do here.
terraform {
  required_version = ">= 1.0.3"
  required_providers {
    aci = {
      source  = "acilab/aci"
      version = "0.1.0"
    }
    letsencrypt = {
      source  = "acilab/letsencrypt"
      version = "0.1.0"
    }
  }
}

# Settings come from ARM_* variables (make demo points them at the emulator).
provider "aci" {}
provider "letsencrypt" {}

locals {
  resource_group_id = "/subscriptions/${var.subscription_id}/resourceGroups/${var.resource_group_name}"
  group_id          = "${local.resource_group_id}/providers/Microsoft.ContainerInstance/containerGroups"
  private_zone_id   = "${local.resource_group_id}/providers/Microsoft.Network/privateDnsZones/${var.private_zone_name}"
}

# app.<zone>: the app groups' private IPs (round robin), shared with their agents (same owner).
module "app_dns" {
  source = "../../terraform/modules/dns-sync"

  private_dns_zone_id = local.private_zone_id
  name                = var.record_name
  container_group_ids = [for g in var.container_group_names : "${local.group_id}/${g}"]
  owner               = var.dns_owner
}

# dashboard.<zone>: the dashboard group's private IP.
module "dashboard_dns" {
  source = "../../terraform/modules/dns-sync"

  private_dns_zone_id = local.private_zone_id
  name                = var.dashboard_record_name
  container_group_ids = ["${local.group_id}/${var.dashboard_group_name}"]
  owner               = var.dns_owner
}

# A wildcard + apex certificate for the demo domain, its key generated inside the emulated Key
# Vault; the agents write it for the groups' nginx and the gateway stand-in.
module "certificate" {
  source = "../../terraform/modules/certificate"

  key_vault_id              = "${local.resource_group_id}/providers/Microsoft.KeyVault/vaults/${var.key_vault_name}"
  name                      = var.certificate_name
  common_name               = var.public_zone_name
  subject_alternative_names = ["*.${var.public_zone_name}"]
  dns_zone_id               = "${local.resource_group_id}/providers/Microsoft.Network/dnsZones/${var.public_zone_name}"
  directory_url             = var.acme_directory_url
  directory_ca_file         = var.acme_ca_file
  name_servers              = var.dns_check_servers
  key_type                  = "EC"
  contact_email             = "ops@${var.public_zone_name}"
}
