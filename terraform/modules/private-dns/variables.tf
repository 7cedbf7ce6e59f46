# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "resource_group_name" {
  description = "Resource group the zones are created in."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "app_zone_name" {
  description = "Private zone the container groups register in, e.g. example.com (split horizon: App Gateway then reaches app.example.com privately with the public wildcard certificate) or acilab.internal."
  type        = string
  validation {
    condition     = length(var.app_zone_name) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.app_zone_name))
    error_message = "The app_zone_name must be a lower-case DNS name with at least two labels, e.g. example.com, without a trailing dot."
  }
}

variable "sql_private_link_enabled" {
  description = "Create privatelink.database.windows.net for Azure SQL private endpoints."
  type        = bool
  default     = true
}

variable "key_vault_private_link_enabled" {
  description = "Create privatelink.vaultcore.azure.net for Key Vault private endpoints."
  type        = bool
  default     = false
}

variable "additional_zone_names" {
  description = "More private zones to create and link, e.g. privatelink.azurecr.io."
  type        = list(string)
  default     = []
  validation {
    condition     = var.additional_zone_names != null
    error_message = "The additional_zone_names must not be null (use [])."
  }
  validation {
    condition     = var.additional_zone_names == null ? true : alltrue([for z in var.additional_zone_names : length(z) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", z))])
    error_message = "Each zone name must be a lower-case DNS name with at least two labels and no trailing dot."
  }
}

variable "virtual_network_links" {
  description = "Virtual networks to link to every zone: link name => virtual network resource id. Keys must be known at plan time (use fixed names)."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.virtual_network_links != null
    error_message = "The virtual_network_links must not be null (use {})."
  }
  validation {
    condition = var.virtual_network_links == null ? true : alltrue([
      for k, id in var.virtual_network_links :
      can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", k)) &&
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+$", id))
    ])
    error_message = "Each link name must be 1-80 characters of letters, digits, '_', '.' or '-'; each value a virtual network resource id."
  }
}

variable "registration_enabled" {
  description = "Auto-register the virtual machines of the linked networks in the app zone (container groups never auto-register; the agent and aci_private_dns_sync do that)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.tags != null
    error_message = "The tags must not be null (use {})."
  }
}
