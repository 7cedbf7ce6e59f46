output "resource_id" {
  description = "Resource id of the virtual network."
  value       = azurerm_virtual_network.this.id
}

output "name" {
  description = "Name of the virtual network."
  value       = azurerm_virtual_network.this.name
}

output "app_gateway_subnet_id" {
  description = "Resource id of the Application Gateway subnet."
  value       = azurerm_subnet.app_gateway.id
}

output "aci_subnet_id" {
  description = "Resource id of the delegated container instance subnet."
  value       = azurerm_subnet.aci.id
}

output "private_endpoint_subnet_id" {
  description = "Resource id of the private endpoint subnet."
  value       = azurerm_subnet.private_endpoint.id
}

output "subnet_address_prefixes" {
  description = "Address prefix of each subnet, by role (app_gateway, aci, private_endpoint)."
  value = {
    app_gateway      = var.app_gateway_subnet_address_prefix
    aci              = var.aci_subnet_address_prefix
    private_endpoint = var.private_endpoint_subnet_address_prefix
  }
}

output "network_security_group_ids" {
  description = "Resource id of each network security group, by subnet role (app_gateway, aci, private_endpoint)."
  value       = { for k, n in azurerm_network_security_group.this : k => n.id }
}
