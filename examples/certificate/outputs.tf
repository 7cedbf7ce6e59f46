output "names" {
  description = "Names on the certificate."
  value       = module.certificate.names
}

output "versionless_secret_id" {
  description = "Versionless secret id: what Application Gateway references (it follows renewals)."
  value       = module.certificate.versionless_secret_id
}

output "not_after" {
  description = "Expiry of the current version; renewal (a new Key Vault version) happens in place during a later apply."
  value       = module.certificate.not_after
}

output "thumbprint" {
  description = "SHA-1 thumbprint of the current version."
  value       = module.certificate.thumbprint
}
