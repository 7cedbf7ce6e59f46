output "container_group_ids" {
  description = "Resource ids of the container groups (container_group_ids of aci_private_dns_sync)."
  value       = azurerm_container_group.this[*].id
}

output "container_group_names" {
  description = "Names of the container groups."
  value       = azurerm_container_group.this[*].name
}

output "ip_addresses" {
  description = "Private IP address of each group at apply time (a restart changes it; the agent keeps the DNS record current)."
  value       = azurerm_container_group.this[*].ip_address
}

output "fqdn" {
  description = "Private name the groups share, <dns_record_name>.<zone> (App Gateway's backend FQDN)."
  value       = var.dns_record_name == "@" ? local.zone_name : "${var.dns_record_name}.${local.zone_name}"
}

output "dns_owner" {
  description = "Owner marker the agents write into the record (pass it to aci_private_dns_sync's owner)."
  value       = var.dns_owner
}

output "identity_principal_id" {
  description = "Principal id of the groups' identity (for further role assignments)."
  value       = var.identity.principal_id
}

output "role_assignment_ids" {
  description = "Resource ids of the agent's role assignments: reader (one per group), dns and certificate (empty lists when agent_role_assignments_enabled is false)."
  value = {
    reader      = azurerm_role_assignment.reader[*].id
    dns         = azurerm_role_assignment.dns[*].id
    certificate = azurerm_role_assignment.certificate[*].id
  }
}
