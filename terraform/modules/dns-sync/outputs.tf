output "resource_id" {
  description = "Record set id (<zone id>/A/<name>)."
  value       = aci_private_dns_sync.this.id
}

output "fqdn" {
  description = "Fully qualified name of the record, with trailing dot."
  value       = aci_private_dns_sync.this.fqdn
}

output "ip_addresses" {
  description = "The IP addresses in the record, sorted."
  value       = aci_private_dns_sync.this.ip_addresses
}

output "owner" {
  description = "Ownership marker of the record (give it to agents that write the same record)."
  value       = aci_private_dns_sync.this.owner
}
