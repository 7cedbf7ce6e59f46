output "fqdn" {
  description = "Fully qualified name of the record, with trailing dot."
  value       = module.dns_sync.fqdn
}

output "ip_addresses" {
  description = "The private IPs in the record, sorted."
  value       = module.dns_sync.ip_addresses
}

output "owner" {
  description = "The record's owner marker (give the same value to agents as ACILAB_DNS_OWNER)."
  value       = module.dns_sync.owner
}
