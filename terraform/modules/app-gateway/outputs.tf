output "resource_id" {
  description = "Resource id of the Application Gateway."
  value       = azurerm_application_gateway.this.id
}

output "name" {
  description = "Name of the Application Gateway."
  value       = azurerm_application_gateway.this.name
}

output "public_ip_id" {
  description = "Resource id of the gateway's public IP (target of an alias A record)."
  value       = azurerm_public_ip.this.id
}

output "public_ip_address" {
  description = "The gateway's public IP address."
  value       = azurerm_public_ip.this.ip_address
}

output "public_ip_fqdn" {
  description = "<domain_name_label>.<region>.cloudapp.azure.com (target of a CNAME), or null without a domain_name_label."
  value       = var.domain_name_label == null ? null : azurerm_public_ip.this.fqdn
}

output "waf_policy_id" {
  description = "Resource id of the WAF policy, or null with sku_name Standard_v2."
  value       = local.waf ? azurerm_web_application_firewall_policy.this[0].id : null
}

output "backend_address_pool_id" {
  description = "Resource id of the backend pool (the app groups' private name)."
  value       = one([for p in azurerm_application_gateway.this.backend_address_pool : p.id if p.name == local.backend_pool_name])
}
