# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "key_vault_id" {
  description = "Resource id of the Key Vault that generates the key and keeps the certificate. The identity running Terraform needs Key Vault Certificates Officer and Key Vault Secrets Officer there (the ACME account key is kept as a secret)."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.KeyVault/vaults/[^/]+$", var.key_vault_id))
    error_message = "The key_vault_id must be a Key Vault resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>)."
  }
}

variable "name" {
  description = "Certificate name in Key Vault: 1-127 letters, digits and hyphens."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,127}$", var.name))
    error_message = "Key Vault certificate names are 1-127 letters, digits and hyphens."
  }
}

variable "common_name" {
  description = "Subject common name, e.g. example.com. It must lie in the DNS zone."
  type        = string
  validation {
    condition     = length(var.common_name) <= 253 && can(regex("^(\\*\\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]$", var.common_name))
    error_message = "The common_name must be a DNS name such as example.com (a wildcard only as the whole left-most label: *.example.com)."
  }
}

variable "subject_alternative_names" {
  description = "More names on the certificate, e.g. [\"*.example.com\"]; all in the DNS zone, each once."
  type        = list(string)
  default     = []
  validation {
    condition     = var.subject_alternative_names != null
    error_message = "The subject_alternative_names must not be null (use [])."
  }
  validation {
    condition = var.subject_alternative_names == null ? true : alltrue([
      for n in var.subject_alternative_names :
      length(n) <= 253 && can(regex("^(\\*\\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]$", n))
    ]) && length(distinct([for n in var.subject_alternative_names : lower(n)])) == length(var.subject_alternative_names)
    error_message = "Each subject alternative name must be a DNS name (a wildcard only as the whole left-most label) and listed once."
  }
}

variable "dns_zone_id" {
  description = "Resource id of the Azure public DNS zone used for DNS-01 (the identity running Terraform needs DNS Zone Contributor on it)."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/dnsZones/[^/]+$", var.dns_zone_id))
    error_message = "The dns_zone_id must be a public DNS zone resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/dnsZones/<zone>)."
  }
}

variable "contact_email" {
  description = "Contact e-mail of the ACME account (expiry notices, CA announcements); null for none."
  type        = string
  default     = null
  validation {
    condition     = var.contact_email == null ? true : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.contact_email))
    error_message = "The contact_email must be an e-mail address."
  }
}

variable "directory_url" {
  description = "ACME directory; null (default) for Let's Encrypt production. Staging: https://acme-staging-v02.api.letsencrypt.org/directory (use it while trying things out: production has tight rate limits)."
  type        = string
  default     = null
  validation {
    condition     = var.directory_url == null ? true : can(regex("^https://[^/]+", var.directory_url))
    error_message = "The directory_url must be an https URL."
  }
}

variable "directory_ca_file" {
  description = "PEM file with the TLS root of a private ACME server (test CAs such as pebble); null for the system roots."
  type        = string
  default     = null
}

variable "key_type" {
  description = "Key type: RSA or EC; null for the provider's default (RSA)."
  type        = string
  default     = null
  validation {
    condition     = var.key_type == null ? true : contains(["RSA", "EC"], var.key_type)
    error_message = "The key_type must be RSA or EC."
  }
}

variable "key_size" {
  description = "Key size: 2048, 3072 or 4096 for RSA; 256 or 384 for EC; null for the provider's default (2048 or 256)."
  type        = number
  default     = null
  validation {
    condition     = var.key_size == null ? true : contains(["256", "384", "2048", "3072", "4096"], tostring(var.key_size))
    error_message = "The key_size must be 2048, 3072 or 4096 (RSA), or 256 or 384 (EC)."
  }
}

variable "renew_before_days" {
  description = "Renew this many days before expiry; null (default) renews when two thirds of the lifetime have passed (which follows Let's Encrypt's shrinking lifetimes)."
  type        = number
  default     = null
  validation {
    condition     = var.renew_before_days == null ? true : var.renew_before_days >= 1 && var.renew_before_days <= 365 && floor(var.renew_before_days) >= var.renew_before_days
    error_message = "The renew_before_days must be a whole number from 1 to 365."
  }
}

variable "eab_key_id" {
  description = "External account binding key id, for CAs that need one (not Let's Encrypt); give eab_hmac_key too."
  type        = string
  default     = null
}

variable "eab_hmac_key" {
  description = "External account binding HMAC key (base64url), with eab_key_id."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.eab_hmac_key == null ? true : can(regex("^[A-Za-z0-9_-]+=*$", var.eab_hmac_key))
    error_message = "The eab_hmac_key must be base64url-encoded."
  }
}

variable "dns_propagation_timeout" {
  description = "Seconds to wait for the zone's name servers to show the challenge; null for the provider's default (300)."
  type        = number
  default     = null
  validation {
    condition     = var.dns_propagation_timeout == null ? true : var.dns_propagation_timeout >= 1 && var.dns_propagation_timeout <= 3600
    error_message = "The dns_propagation_timeout must be 1-3600 seconds."
  }
}

variable "name_servers" {
  description = "Name servers (IP:port) to check for the challenge instead of the zone's own; empty (default) for the zone's own."
  type        = list(string)
  default     = []
  validation {
    condition     = var.name_servers != null
    error_message = "The name_servers must not be null (use [])."
  }
  validation {
    condition     = var.name_servers == null ? true : alltrue([for s in var.name_servers : can(regex("^([0-9]{1,3}(\\.[0-9]{1,3}){3}|\\[[0-9A-Fa-f:]+\\]):[0-9]{1,5}$", s))])
    error_message = "Each name server must be IP:port, e.g. 1.1.1.1:53 or [2606:4700:4700::1111]:53."
  }
}

variable "revoke_on_destroy" {
  description = "Revoke the certificate when it is destroyed (never on a move to another vault or name)."
  type        = bool
  default     = false
}

variable "purge_on_destroy" {
  description = "Purge the soft-deleted certificate on destroy (impossible while the vault has purge protection)."
  type        = bool
  default     = false
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
