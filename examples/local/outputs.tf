output "app_fqdn" {
  description = "Private name of the app container groups."
  value       = aci_private_dns_sync.app.fqdn
}

output "app_ip_addresses" {
  description = "Private IPs the record holds (one per container group)."
  value       = aci_private_dns_sync.app.ip_addresses
}
