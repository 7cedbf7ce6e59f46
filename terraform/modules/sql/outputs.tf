output "resource_id" {
  description = "Resource id of the logical server."
  value       = azurerm_mssql_server.this.id
}

output "name" {
  description = "Name of the logical server."
  value       = azurerm_mssql_server.this.name
}

output "fully_qualified_domain_name" {
  description = "Server name clients connect to, e.g. myserver.database.windows.net; inside the linked network it resolves to the private endpoint."
  value       = azurerm_mssql_server.this.fully_qualified_domain_name
}

output "database_id" {
  description = "Resource id of the database."
  value       = azurerm_mssql_database.this.id
}

output "database_name" {
  description = "Name of the database."
  value       = azurerm_mssql_database.this.name
}

output "private_endpoint_id" {
  description = "Resource id of the server's private endpoint."
  value       = azurerm_private_endpoint.this.id
}

output "private_ip_address" {
  description = "Private IP address of the server's endpoint."
  value       = azurerm_private_endpoint.this.private_service_connection[0].private_ip_address
}
