# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "name" {
  description = "Registry name: 5-50 letters and digits, globally unique (becomes <name>.azurecr.io)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9]{5,50}$", var.name))
    error_message = "The registry name must be 5-50 letters and digits (no hyphens)."
  }
}

variable "location" {
  description = "Azure region, e.g. westeurope."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9 ]*$", var.location))
    error_message = "The location must be an Azure region name, e.g. westeurope."
  }
}

variable "resource_group_name" {
  description = "Resource group the registry is created in."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "sku" {
  description = "Registry SKU: Basic, Standard or Premium. Network rules, retention, dedicated data endpoints and zone redundancy need Premium; they are left out on the other SKUs."
  type        = string
  default     = "Premium"
  validation {
    condition     = contains(["Basic", "Standard", "Premium"], var.sku)
    error_message = "The sku must be Basic, Standard or Premium."
  }
}

variable "public_network_access_enabled" {
  description = "Reach the registry over its public endpoint (CI pushes images from outside the network; Azure Container Instances pull as a trusted service either way)."
  type        = bool
  default     = true
}

variable "network_default_action" {
  description = "Premium only: Allow or Deny requests from addresses not in allowed_ip_ranges. Trusted Azure services (container instances pulling with their identity) are always let through."
  type        = string
  default     = "Allow"
  validation {
    condition     = contains(["Allow", "Deny"], var.network_default_action)
    error_message = "The network_default_action must be Allow or Deny."
  }
}

variable "allowed_ip_ranges" {
  description = "Premium only: public CIDR blocks allowed when network_default_action is Deny (e.g. your CI's egress)."
  type        = list(string)
  default     = []
  validation {
    condition     = var.allowed_ip_ranges != null
    error_message = "The allowed_ip_ranges must not be null (use [])."
  }
  validation {
    condition     = var.allowed_ip_ranges == null ? true : alltrue([for c in var.allowed_ip_ranges : can(cidrhost(c, 0))])
    error_message = "Each allowed IP range must be a CIDR block, e.g. 203.0.113.0/24 (a single address as /32)."
  }
}

variable "retention_policy_in_days" {
  description = "Premium only: days untagged manifests are kept before they are deleted (0-365)."
  type        = number
  default     = 7
  validation {
    condition     = var.retention_policy_in_days >= 0 && var.retention_policy_in_days <= 365 && floor(var.retention_policy_in_days) >= var.retention_policy_in_days
    error_message = "The retention_policy_in_days must be a whole number from 0 to 365."
  }
}

variable "zone_redundancy_enabled" {
  description = "Premium only: spread the registry over availability zones (the region must have zones)."
  type        = bool
  default     = true
}

variable "pull_principal_ids" {
  description = "Identities that pull images (AcrPull), e.g. the workload identities of the container groups: fixed key => principal id of a managed identity. Keys must be known at plan time."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.pull_principal_ids != null
    error_message = "The pull_principal_ids must not be null (use {})."
  }
}

variable "role_assignments" {
  description = "More role assignments on the registry (e.g. AcrPush for CI): fixed key => {role_definition_name, principal_id, principal_type (User, Group, ServicePrincipal or null)}."
  type = map(object({
    role_definition_name = string
    principal_id         = string
    principal_type       = string
  }))
  default = {}
  validation {
    condition     = var.role_assignments != null
    error_message = "The role_assignments must not be null (use {})."
  }
  validation {
    condition = var.role_assignments == null ? true : alltrue([
      for k, r in var.role_assignments :
      length(r.role_definition_name) > 0 && (r.principal_type == null ? true : contains(["User", "Group", "ServicePrincipal"], r.principal_type))
    ])
    error_message = "Each role assignment needs a role_definition_name, and principal_type must be User, Group, ServicePrincipal or null."
  }
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
