output "app_fqdn" {
  description = "Private name of the app container groups."
  value       = aci_private_dns_sync.app.fqdn
}

output "app_ip_addresses" {
  description = "Private IPs the record holds (one per container group)."
  value       = aci_private_dns_sync.app.ip_addresses
}

output "certificate_subject" {
  description = "Names on the certificate issued into Key Vault."
  value       = concat([letsencrypt_keyvault_cert.wildcard.common_name], tolist(letsencrypt_keyvault_cert.wildcard.subject_alternative_names))
}

output "certificate_not_after" {
  description = "Expiry of the current certificate version."
  value       = letsencrypt_keyvault_cert.wildcard.not_after
}

output "certificate_secret_id" {
  description = "Versionless secret id (what Application Gateway references)."
  value       = letsencrypt_keyvault_cert.wildcard.versionless_secret_id
}
