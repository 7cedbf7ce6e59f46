# A wildcard and apex certificate from Let's Encrypt, proven by DNS-01 on an existing Azure
# public DNS zone, its key generated inside an existing Key Vault (RBAC mode), through the
# certificate module.

# Usually empty: the provider reads the same ARM_* settings (or the Azure CLI login) as azurerm.
provider "letsencrypt" {}

locals {
  # The zone's name is the last segment of its resource id.
  domain = element(split("/", var.dns_zone_id), length(split("/", var.dns_zone_id)) - 1)
}

module "certificate" {
  source = "../../terraform/modules/certificate"

  key_vault_id              = var.key_vault_id
  name                      = var.certificate_name
  common_name               = local.domain
  subject_alternative_names = ["*.${local.domain}"]
  dns_zone_id               = var.dns_zone_id
  contact_email             = var.contact_email
  directory_url             = var.acme_directory_url
  key_type                  = var.key_type
  tags                      = var.tags
}
