# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "name" {
  description = "Logical server name: 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen; globally unique (<name>.database.windows.net)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.name))
    error_message = "The server name must be 1-63 lower-case letters, digits and hyphens and must not start or end with a hyphen."
  }
}

variable "database_name" {
  description = "Database name (1-128 characters; none of <>*%&:\\/? and not ending with '.' or a space)."
  type        = string
  default     = "acilab"
  validation {
    condition     = can(regex("^[^<>*%&:\\\\/?]{0,127}[^<>*%&:\\\\/?. ]$", var.database_name)) && lower(var.database_name) != "master"
    error_message = "The database name must be 1-128 characters without <>*%&:\\/?, must not end with '.' or a space, and must not be master."
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
  description = "Resource group the server and its private endpoint are created in."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "azuread_administrator" {
  description = "Entra administrator of the server: {login_username (display name), object_id (user, group or service principal/managed identity object id)}. Only Entra authentication is allowed (no SQL logins)."
  type = object({
    login_username = string
    object_id      = string
  })
  validation {
    condition     = var.azuread_administrator != null
    error_message = "The azuread_administrator must not be null: the server allows Entra authentication only."
  }
  validation {
    condition     = var.azuread_administrator == null ? true : length(var.azuread_administrator.login_username) > 0 && can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.azuread_administrator.object_id))
    error_message = "The azuread_administrator needs a login_username and an object_id GUID."
  }
}

variable "minimum_tls_version" {
  description = "Lowest TLS version clients may use: 1.2 or 1.3."
  type        = string
  default     = "1.2"
  validation {
    condition     = contains(["1.2", "1.3"], var.minimum_tls_version)
    error_message = "The minimum_tls_version must be 1.2 or 1.3."
  }
}

variable "sku_name" {
  description = "Database SKU, e.g. Basic, S0, P1, GP_S_Gen5_1 (serverless), GP_Gen5_2, BC_Gen5_2, HS_Gen5_2."
  type        = string
  default     = "Basic"
  validation {
    condition     = can(regex("^(Basic|S[0-9]+|P[0-9]+|(GP|BC|HS)(_S)?_(Gen5|Gen4|8IM|8IH|DC|FSv2|M)_[0-9]+|DW[0-9]+c)$", var.sku_name))
    error_message = "The sku_name must be an Azure SQL Database SKU such as Basic, S0, P1, GP_S_Gen5_1, GP_Gen5_2, BC_Gen5_2 or HS_Gen5_2."
  }
}

variable "max_size_gb" {
  description = "Maximum database size in GB (Basic allows up to 2)."
  type        = number
  default     = 2
  validation {
    condition     = var.max_size_gb > 0 && var.max_size_gb <= 4096
    error_message = "The max_size_gb must be between 0 and 4096 (exclusive of 0)."
  }
}

variable "zone_redundant" {
  description = "Spread the database over availability zones (Premium, Business Critical, Hyperscale and General Purpose vCore SKUs only)."
  type        = bool
  default     = false
}

variable "private_endpoint_subnet_id" {
  description = "Subnet the server's private endpoint is placed in."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.private_endpoint_subnet_id))
    error_message = "The private_endpoint_subnet_id must be a subnet resource id."
  }
}

variable "private_dns_zone_id" {
  description = "Resource id of the privatelink.database.windows.net Private DNS zone linked to the network; the endpoint registers its address there."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/privatelink\\.database\\.windows\\.net$", var.private_dns_zone_id))
    error_message = "The private_dns_zone_id must be the resource id of a privatelink.database.windows.net Private DNS zone."
  }
}

variable "auditing" {
  description = "Send the server's audit log (SQLSecurityAuditEvents) to a Log Analytics workspace: {log_analytics_workspace_id (resource id)}. null (default) leaves auditing off. An object, so whether auditing is on is known at plan time even while the workspace id is not."
  type = object({
    log_analytics_workspace_id = string
  })
  default = null
  validation {
    condition     = var.auditing == null ? true : can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.auditing.log_analytics_workspace_id))
    error_message = "The auditing.log_analytics_workspace_id must be a Log Analytics workspace resource id."
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
