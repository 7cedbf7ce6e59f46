output "app_zone_id" {
  description = "Resource id of the app zone (for aci_private_dns_sync and the agent's ACILAB_DNS_ZONE_ID)."
  value       = azurerm_private_dns_zone.this[var.app_zone_name].id
}

output "app_zone_name" {
  description = "Name of the app zone."
  value       = azurerm_private_dns_zone.this[var.app_zone_name].name
}

output "sql_zone_id" {
  description = "Resource id of privatelink.database.windows.net, or null when sql_private_link_enabled is false."
  value       = var.sql_private_link_enabled ? azurerm_private_dns_zone.this[local.sql_zone_name].id : null
}

output "key_vault_zone_id" {
  description = "Resource id of privatelink.vaultcore.azure.net, or null when key_vault_private_link_enabled is false."
  value       = var.key_vault_private_link_enabled ? azurerm_private_dns_zone.this[local.key_vault_zone_name].id : null
}

output "zone_ids" {
  description = "Resource id of every zone, by zone name."
  value       = { for name, z in azurerm_private_dns_zone.this : name => z.id }
}

output "virtual_network_link_ids" {
  description = "Resource id of every virtual network link, by \"<zone>|<link name>\"."
  value       = { for k, l in azurerm_private_dns_zone_virtual_network_link.this : k => l.id }
}
