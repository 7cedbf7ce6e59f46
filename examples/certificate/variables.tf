# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1), so
# collections default to {} / [] and reject null with a validation block.

variable "key_vault_id" {
  description = "Resource id of an existing Key Vault in RBAC mode; whoever runs Terraform needs Key Vault Certificates Officer and Key Vault Secrets Officer there."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.KeyVault/vaults/[^/]+$", var.key_vault_id))
    error_message = "The key_vault_id must be a Key Vault resource id."
  }
}

variable "dns_zone_id" {
  description = "Resource id of an existing Azure public DNS zone (the certificate covers its name and *.<name>); whoever runs Terraform needs DNS Zone Contributor there."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/dnsZones/[^/]+$", var.dns_zone_id))
    error_message = "The dns_zone_id must be a public DNS zone resource id."
  }
}

variable "contact_email" {
  description = "Contact e-mail of the ACME account."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.contact_email))
    error_message = "The contact_email must be an e-mail address."
  }
}

variable "certificate_name" {
  description = "Certificate name in Key Vault (letters, digits and hyphens)."
  type        = string
  default     = "wildcard"
  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,127}$", var.certificate_name))
    error_message = "Key Vault certificate names are 1-127 letters, digits and hyphens."
  }
}

variable "acme_directory_url" {
  description = "ACME directory. The default is Let's Encrypt staging (untrusted certificates, generous rate limits) for trying things out; null means Let's Encrypt production."
  type        = string
  default     = "https://acme-staging-v02.api.letsencrypt.org/directory"
  validation {
    condition     = var.acme_directory_url == null ? true : can(regex("^https://", var.acme_directory_url))
    error_message = "The acme_directory_url must be an https URL."
  }
}

variable "key_type" {
  description = "RSA (default) or EC."
  type        = string
  default     = "RSA"
  validation {
    condition     = contains(["RSA", "EC"], var.key_type)
    error_message = "The key_type must be RSA or EC."
  }
}

variable "tags" {
  description = "Tags on the Key Vault certificate."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.tags != null
    error_message = "The tags must not be null (use {})."
  }
}
