output "resource_id" {
  description = "Resource id of the registry."
  value       = azurerm_container_registry.this.id
}

output "name" {
  description = "Name of the registry."
  value       = azurerm_container_registry.this.name
}

output "login_server" {
  description = "Login server, e.g. myregistry.azurecr.io (the image prefix and image_registry_credential.server)."
  value       = azurerm_container_registry.this.login_server
}

output "role_assignment_ids" {
  description = "Resource id of each role assignment on the registry, by key (pull-<key> for pull_principal_ids)."
  value       = { for k, r in azurerm_role_assignment.this : k => r.id }
}
