output "container_group_id" {
  description = "Resource id of the dashboard container group."
  value       = azurerm_container_group.this.id
}

output "container_group_name" {
  description = "Name of the dashboard container group."
  value       = azurerm_container_group.this.name
}

output "ip_address" {
  description = "Private IP address of the group at apply time (a restart changes it; the agent keeps the DNS record current)."
  value       = azurerm_container_group.this.ip_address
}

output "fqdn" {
  description = "Private name of the dashboard, <dns_record_name>.<zone>."
  value       = var.dns_record_name == "@" ? local.zone_name : "${var.dns_record_name}.${local.zone_name}"
}

output "url" {
  description = "URL of the dashboard inside the network."
  value       = "http://${var.dns_record_name == "@" ? local.zone_name : "${var.dns_record_name}.${local.zone_name}"}:${local.dashboard_port}/"
}

output "dns_owner" {
  description = "Owner marker the agent writes into the record (pass it to aci_private_dns_sync's owner)."
  value       = var.dns_owner
}

output "identity_principal_id" {
  description = "Principal id of the group's identity (for further role assignments)."
  value       = var.identity.principal_id
}

output "role_assignment_ids" {
  description = "Resource ids of the agent's role assignments: reader and dns (empty lists when agent_role_assignments_enabled is false)."
  value = {
    reader = azurerm_role_assignment.reader[*].id
    dns    = azurerm_role_assignment.dns[*].id
  }
}
