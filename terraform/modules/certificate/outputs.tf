output "resource_id" {
  description = "Versionless Key Vault certificate id."
  value       = letsencrypt_keyvault_cert.this.id
}

output "name" {
  description = "Certificate name in Key Vault (the agent's ACILAB_CERT_NAME)."
  value       = letsencrypt_keyvault_cert.this.name
}

output "key_vault_id" {
  description = "Resource id of the vault holding the certificate."
  value       = letsencrypt_keyvault_cert.this.key_vault_id
}

output "version" {
  description = "Current Key Vault version (changes on renewal)."
  value       = letsencrypt_keyvault_cert.this.version
}

output "secret_id" {
  description = "Versioned secret id of the current version."
  value       = letsencrypt_keyvault_cert.this.secret_id
}

output "versionless_secret_id" {
  description = "Versionless secret id: what Application Gateway references (it follows renewals)."
  value       = letsencrypt_keyvault_cert.this.versionless_secret_id
}

output "thumbprint" {
  description = "SHA-1 thumbprint of the current certificate (upper-case hex)."
  value       = letsencrypt_keyvault_cert.this.thumbprint
}

output "serial_number" {
  description = "Serial number of the current certificate (hex)."
  value       = letsencrypt_keyvault_cert.this.serial_number
}

output "issuer" {
  description = "Issuer distinguished name."
  value       = letsencrypt_keyvault_cert.this.issuer
}

output "not_before" {
  description = "Start of validity (RFC 3339)."
  value       = letsencrypt_keyvault_cert.this.not_before
}

output "not_after" {
  description = "End of validity (RFC 3339)."
  value       = letsencrypt_keyvault_cert.this.not_after
}

output "certificate_pem" {
  description = "The certificate chain in PEM, leaf first (public; the key stays in Key Vault)."
  value       = letsencrypt_keyvault_cert.this.certificate_pem
}

output "names" {
  description = "All names on the certificate: the common name, then the subject alternative names."
  value       = concat([var.common_name], var.subject_alternative_names)
}
