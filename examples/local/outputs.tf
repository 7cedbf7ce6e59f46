output "app_fqdn" {
  description = "Private name of the app container groups."
  value       = module.app_dns.fqdn
}

output "app_ip_addresses" {
  description = "Private IPs the app record holds (one per container group)."
  value       = module.app_dns.ip_addresses
}

output "dashboard_fqdn" {
  description = "Private name of the dashboard container group."
  value       = module.dashboard_dns.fqdn
}

output "dashboard_ip_addresses" {
  description = "Private IP the dashboard record holds."
  value       = module.dashboard_dns.ip_addresses
}

output "certificate_subject" {
  description = "Names on the certificate issued into Key Vault."
  value       = module.certificate.names
}

output "certificate_name" {
  description = "Key Vault certificate name (the agents' ACILAB_CERT_NAME)."
  value       = module.certificate.name
}

output "certificate_not_after" {
  description = "Expiry of the current certificate version."
  value       = module.certificate.not_after
}

output "certificate_secret_id" {
  description = "Versionless secret id (what Application Gateway references)."
  value       = module.certificate.versionless_secret_id
}
