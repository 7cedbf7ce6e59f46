# A wildcard and apex certificate from Let's Encrypt, its key generated inside Key Vault.
# Application Gateway references versionless_secret_id, so renewals reach it by themselves.
resource "letsencrypt_keyvault_cert" "wildcard" {
  key_vault_id              = azurerm_key_vault.this.id
  name                      = "wildcard-example-com"
  common_name               = "example.com"
  subject_alternative_names = ["*.example.com"]
  dns_zone_id               = azurerm_dns_zone.this.id
  contact_email             = "ops@example.com"
  key_type                  = "EC"
}

output "listener_secret_id" {
  value = letsencrypt_keyvault_cert.wildcard.versionless_secret_id
}
