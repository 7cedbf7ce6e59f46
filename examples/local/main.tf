# The sample's DNS and certificate halves on one machine, against the local Azure emulator
# (`make demo` starts it, and pebble, and runs this).
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
}

resource "aci_private_dns_sync" "app" {
  private_dns_zone_id = "${local.resource_group_id}/providers/Microsoft.Network/privateDnsZones/${var.private_zone_name}"
  name                = var.record_name
  container_group_ids = [for g in var.container_group_names : "${local.resource_group_id}/providers/Microsoft.ContainerInstance/containerGroups/${g}"]
}

# A wildcard + apex certificate for the demo domain, issued by the ACME CA given below (make demo
# runs Let's Encrypt's test CA, pebble, on loopback) into the emulated Key Vault.
resource "letsencrypt_keyvault_cert" "wildcard" {
  key_vault_id              = "${local.resource_group_id}/providers/Microsoft.KeyVault/vaults/${var.key_vault_name}"
  name                      = "wildcard"
  common_name               = var.public_zone_name
  subject_alternative_names = ["*.${var.public_zone_name}"]
  dns_zone_id               = "${local.resource_group_id}/providers/Microsoft.Network/dnsZones/${var.public_zone_name}"
  directory_url             = var.acme_directory_url
  directory_ca_file         = var.acme_ca_file
  name_servers              = var.dns_check_servers
  key_type                  = "EC"
  contact_email             = "ops@${var.public_zone_name}"
}
