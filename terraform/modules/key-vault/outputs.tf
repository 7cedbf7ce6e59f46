output "resource_id" {
  description = "Resource id of the vault (key_vault_id of letsencrypt_keyvault_cert)."
  value       = azurerm_key_vault.this.id
}

output "name" {
  description = "Name of the vault."
  value       = azurerm_key_vault.this.name
}

output "vault_uri" {
  description = "Data-plane URL of the vault, e.g. https://myvault.vault.azure.net/ (the agent's ACILAB_CERT_KEY_VAULT_URL)."
  value       = azurerm_key_vault.this.vault_uri
}

output "private_endpoint_id" {
  description = "Resource id of the vault's private endpoint, or null when none was asked for."
  value       = var.private_endpoint == null ? null : azurerm_private_endpoint.this[0].id
}

output "role_assignment_ids" {
  description = "Resource id of each role assignment on the vault, by key. Depend on this output (or the module) before using the vault's data plane."
  value       = { for k, r in azurerm_role_assignment.this : k => r.id }
}
