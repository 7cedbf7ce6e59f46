variable "subscription_id" {
  description = "Subscription of the emulated resources (examples/local/seed.json)."
  type        = string
  default     = "00000000-0000-0000-0000-000000000000"
  validation {
    condition     = can(regex("^[0-9a-fA-F-]{36}$", var.subscription_id))
    error_message = "The subscription_id must be a GUID."
  }
}

variable "resource_group_name" {
  description = "Resource group holding the zone and the container groups."
  type        = string
  default     = "acilab-demo"
}

variable "private_zone_name" {
  description = "Private DNS zone the app record lives in."
  type        = string
  default     = "acilab.internal"
}

variable "record_name" {
  description = "Relative name of the app record (app.<zone>)."
  type        = string
  default     = "app"
}

variable "container_group_names" {
  description = "App container groups behind the record (round robin)."
  type        = list(string)
  default     = ["app-0", "app-1"]
  validation {
    condition     = length(var.container_group_names) > 0
    error_message = "Name at least one container group."
  }
}

variable "dashboard_group_name" {
  description = "Container group of the dashboard."
  type        = string
  default     = "dashboard"
}

variable "dashboard_record_name" {
  description = "Relative name of the dashboard record (dashboard.<zone>)."
  type        = string
  default     = "dashboard"
}

variable "dns_owner" {
  description = "Ownership marker of the records, shared with the agents (their ACILAB_DNS_OWNER)."
  type        = string
  default     = "acilab-demo"
}

variable "certificate_name" {
  description = "Key Vault certificate name."
  type        = string
  default     = "wildcard"
}

variable "public_zone_name" {
  description = "Public DNS zone the certificate's names live in (DNS-01)."
  type        = string
  default     = "acilab.localhost"
}

variable "key_vault_name" {
  description = "Key Vault that generates and keeps the certificate's key."
  type        = string
  default     = "acilab-demo-kv"
}

variable "acme_directory_url" {
  description = "ACME directory: pebble on loopback for the demo."
  type        = string
  default     = "https://127.0.0.1:14000/dir"
  validation {
    condition     = can(regex("^https://", var.acme_directory_url))
    error_message = "The ACME directory URL must use https."
  }
}

variable "acme_ca_file" {
  description = "PEM file with the ACME server's TLS root (pebble's, written by make demo)."
  type        = string
  default     = null
}

variable "dns_check_servers" {
  description = "Name servers (IP:port) checked for the DNS-01 values: the emulator's DNS."
  type        = list(string)
  default     = ["127.0.0.1:8053"]
}
