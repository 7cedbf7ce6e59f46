# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "location" {
  description = "Azure region, e.g. westeurope."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9 ]*$", var.location))
    error_message = "The location must be an Azure region name, e.g. westeurope."
  }
}

variable "resource_group_name" {
  description = "Resource group the identities are created in."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "identities" {
  description = "User-assigned identities to create: workload key (e.g. app, dashboard, gateway) => identity name. One identity per workload keeps role assignments narrow."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.identities != null
    error_message = "The identities must not be null (use {})."
  }
  validation {
    condition     = var.identities == null ? true : alltrue([for k, n in var.identities : can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$", n))])
    error_message = "Identity names are 3-128 characters of letters, digits, '-' or '_' and start with a letter or digit."
  }
  validation {
    condition     = var.identities == null ? true : length(distinct(values(var.identities))) == length(var.identities)
    error_message = "Identity names must be unique."
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
