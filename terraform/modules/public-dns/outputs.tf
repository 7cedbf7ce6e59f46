output "resource_id" {
  description = "Resource id of the record set (CNAME or A)."
  value       = var.target.type == "A" ? azurerm_dns_a_record.this[0].id : azurerm_dns_cname_record.this[0].id
}

output "fqdn" {
  description = "Fully qualified name of the record, with trailing dot, e.g. appgw.example.com."
  value       = var.target.type == "A" ? azurerm_dns_a_record.this[0].fqdn : azurerm_dns_cname_record.this[0].fqdn
}

output "record_type" {
  description = "CNAME or A (alias)."
  value       = var.target.type
}
