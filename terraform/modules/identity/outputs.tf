output "resource_ids" {
  description = "Resource id of each identity, by workload key (for identity blocks and image_registry_credential)."
  value       = { for k, i in azurerm_user_assigned_identity.this : k => i.id }
}

output "client_ids" {
  description = "Client id of each identity, by workload key (AZURE_CLIENT_ID for workloads)."
  value       = { for k, i in azurerm_user_assigned_identity.this : k => i.client_id }
}

output "principal_ids" {
  description = "Principal (object) id of each identity, by workload key (for role assignments)."
  value       = { for k, i in azurerm_user_assigned_identity.this : k => i.principal_id }
}

output "names" {
  description = "Name of each identity, by workload key."
  value       = { for k, i in azurerm_user_assigned_identity.this : k => i.name }
}

output "identities" {
  description = "Each identity as an object {id, name, client_id, principal_id, tenant_id}, by workload key: what the container group and gateway modules take."
  value = {
    for k, i in azurerm_user_assigned_identity.this : k => {
      id           = i.id
      name         = i.name
      client_id    = i.client_id
      principal_id = i.principal_id
      tenant_id    = i.tenant_id
    }
  }
}
