resource "letsencrypt_keyvault_cert" "this" {
  key_vault_id              = var.key_vault_id
  name                      = var.name
  common_name               = var.common_name
  subject_alternative_names = length(var.subject_alternative_names) > 0 ? var.subject_alternative_names : null
  dns_zone_id               = var.dns_zone_id
  contact_email             = var.contact_email
  directory_url             = var.directory_url
  directory_ca_file         = var.directory_ca_file
  key_type                  = var.key_type
  key_size                  = var.key_size
  renew_before_days         = var.renew_before_days
  eab_key_id                = var.eab_key_id
  eab_hmac_key              = var.eab_hmac_key
  dns_propagation_timeout   = var.dns_propagation_timeout
  name_servers              = length(var.name_servers) > 0 ? var.name_servers : null
  revoke_on_destroy         = var.revoke_on_destroy
  purge_on_destroy          = var.purge_on_destroy
  tags                      = length(var.tags) > 0 ? var.tags : null
}
