# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "name" {
  description = "Vault name: 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, no consecutive hyphens; globally unique (<name>.vault.azure.net)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$", var.name)) && !can(regex("--", var.name))
    error_message = "The vault name must be 3-24 letters, digits and hyphens, start with a letter, end with a letter or digit and have no consecutive hyphens."
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
  description = "Resource group the vault is created in."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "tenant_id" {
  description = "Entra tenant id that authenticates requests to the vault (data.azurerm_client_config.current.tenant_id)."
  type        = string
  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.tenant_id))
    error_message = "The tenant_id must be a GUID."
  }
}

variable "sku_name" {
  description = "Vault SKU: standard or premium (HSM-backed keys)."
  type        = string
  default     = "standard"
  validation {
    condition     = contains(["standard", "premium"], var.sku_name)
    error_message = "The sku_name must be standard or premium."
  }
}

variable "purge_protection_enabled" {
  description = "Forbid purging deleted objects and the vault before the retention period ends. Cannot be turned off once on; the vault name stays taken for soft_delete_retention_days after a destroy."
  type        = bool
  default     = true
}

variable "soft_delete_retention_days" {
  description = "Days a deleted vault or object can be recovered (7-90). Cannot be changed after creation."
  type        = number
  default     = 90
  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90 && floor(var.soft_delete_retention_days) >= var.soft_delete_retention_days
    error_message = "The soft_delete_retention_days must be a whole number from 7 to 90."
  }
}

variable "public_network_access_enabled" {
  description = "Accept requests on the public endpoint (still filtered by network_acls). Needed while the machine running Terraform issues certificates into the vault from outside the network."
  type        = bool
  default     = true
}

variable "network_acls" {
  description = "Vault firewall: default_action (Allow or Deny), bypass (AzureServices or None), ip_rules (public CIDRs, e.g. the Terraform runner) and virtual_network_subnet_ids (subnets with the Microsoft.KeyVault service endpoint, e.g. the gateway and container subnets)."
  type = object({
    default_action             = string
    bypass                     = string
    ip_rules                   = list(string)
    virtual_network_subnet_ids = list(string)
  })
  default = {
    default_action             = "Deny"
    bypass                     = "AzureServices"
    ip_rules                   = []
    virtual_network_subnet_ids = []
  }
  validation {
    condition     = var.network_acls != null
    error_message = "The network_acls must not be null."
  }
  validation {
    condition = var.network_acls == null ? true : (
      contains(["Allow", "Deny"], var.network_acls.default_action) &&
      contains(["AzureServices", "None"], var.network_acls.bypass) &&
      var.network_acls.ip_rules != null && var.network_acls.virtual_network_subnet_ids != null
    )
    error_message = "The network_acls need default_action Allow or Deny, bypass AzureServices or None, and lists (possibly empty) for ip_rules and virtual_network_subnet_ids."
  }
  validation {
    condition     = try(alltrue([for c in var.network_acls.ip_rules : can(cidrhost(c, 0)) || can(cidrhost("${c}/32", 0))]), true)
    error_message = "Each ip_rules entry must be an IPv4 address or CIDR block."
  }
}

variable "private_endpoint" {
  description = "Optional private endpoint for the vault: {subnet_id, private_dns_zone_id (privatelink.vaultcore.azure.net)}. null (default) for none."
  type = object({
    subnet_id           = string
    private_dns_zone_id = string
  })
  default = null
  validation {
    condition     = var.private_endpoint == null ? true : can(regex("(?i)/subnets/[^/]+$", var.private_endpoint.subnet_id)) && can(regex("(?i)/privateDnsZones/privatelink\\.vaultcore\\.azure\\.net$", var.private_endpoint.private_dns_zone_id))
    error_message = "The private_endpoint needs a subnet resource id and the id of the privatelink.vaultcore.azure.net Private DNS zone."
  }
}

variable "role_assignments" {
  description = "Role assignments on the vault: fixed key => {role_definition_name, principal_id, principal_type (User, Group, ServicePrincipal or null)}. E.g. Key Vault Secrets User for the gateway identity, Key Vault Certificate User for the agent identity, Key Vault Certificates Officer for the identity running the letsencrypt provider. Keys must be known at plan time."
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
