# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "name" {
  description = "Name of the virtual network (2-64 characters: letters, digits, '_', '.', '-'; starts with a letter or digit, ends with a letter, digit or '_')."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$", var.name))
    error_message = "The name must be 2-64 characters of letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'."
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
  description = "Resource group the network resources are created in."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "address_space" {
  description = "Address space of the virtual network, e.g. [\"10.20.0.0/16\"]."
  type        = list(string)
  validation {
    condition     = var.address_space != null
    error_message = "The address_space must not be null."
  }
  validation {
    condition     = var.address_space == null ? true : length(var.address_space) > 0 && alltrue([for c in var.address_space : can(cidrhost(c, 0))])
    error_message = "The address_space needs at least one CIDR block, each like 10.20.0.0/16."
  }
}

variable "dns_servers" {
  description = "Custom DNS servers of the virtual network. Empty (default) uses Azure DNS (168.63.129.16), which answers from the Private DNS zones linked to the network."
  type        = list(string)
  default     = []
  validation {
    condition     = var.dns_servers != null
    error_message = "The dns_servers must not be null (use [] for Azure DNS)."
  }
  validation {
    condition     = var.dns_servers == null ? true : alltrue([for ip in var.dns_servers : can(cidrhost("${ip}/32", 0))])
    error_message = "Each DNS server must be an IPv4 address."
  }
}

variable "app_gateway_subnet_name" {
  description = "Name of the Application Gateway subnet."
  type        = string
  default     = "snet-appgw"
  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", var.app_gateway_subnet_name))
    error_message = "Subnet names are 1-80 characters of letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'."
  }
}

variable "app_gateway_subnet_address_prefix" {
  description = "CIDR of the Application Gateway v2 subnet (dedicated to the gateway; /26 or larger, /24 recommended for autoscaling)."
  type        = string
  validation {
    condition     = try(cidrsubnet(var.app_gateway_subnet_address_prefix, 0, 0) == var.app_gateway_subnet_address_prefix, false) && try(tonumber(split("/", var.app_gateway_subnet_address_prefix)[1]) <= 26, false)
    error_message = "The app_gateway_subnet_address_prefix must be a CIDR block (network address, no host bits) of /26 or larger, e.g. 10.20.0.0/24."
  }
}

variable "app_gateway_subnet_service_endpoints" {
  description = "Service endpoints on the Application Gateway subnet. Microsoft.KeyVault lets the gateway read its listener certificate from a vault whose firewall admits this subnet."
  type        = list(string)
  default     = ["Microsoft.KeyVault"]
  validation {
    condition     = var.app_gateway_subnet_service_endpoints != null
    error_message = "The app_gateway_subnet_service_endpoints must not be null (use [])."
  }
  validation {
    condition     = var.app_gateway_subnet_service_endpoints == null ? true : alltrue([for s in var.app_gateway_subnet_service_endpoints : can(regex("^Microsoft\\.[A-Za-z.]+$", s))])
    error_message = "Service endpoints look like Microsoft.KeyVault or Microsoft.Sql."
  }
}

variable "app_gateway_inbound_source_address_prefixes" {
  description = "Sources allowed to reach the gateway's listeners (443, and 80 for the HTTPS redirect): a service tag such as Internet, or CIDR blocks."
  type        = list(string)
  default     = ["Internet"]
  validation {
    condition     = var.app_gateway_inbound_source_address_prefixes != null
    error_message = "The app_gateway_inbound_source_address_prefixes must not be null."
  }
  validation {
    condition = var.app_gateway_inbound_source_address_prefixes == null ? true : (
      length(var.app_gateway_inbound_source_address_prefixes) > 1
      ? alltrue([for p in var.app_gateway_inbound_source_address_prefixes : can(cidrhost(p, 0))])
      : length(var.app_gateway_inbound_source_address_prefixes) > 0 && alltrue([for p in var.app_gateway_inbound_source_address_prefixes : can(cidrhost(p, 0)) || can(regex("^[A-Za-z][A-Za-z0-9.]*$", p))])
    )
    error_message = "Give one service tag (such as Internet) or one or more CIDR blocks; Azure takes a service tag only on its own."
  }
}

variable "app_gateway_http_inbound_enabled" {
  description = "Allow inbound HTTP (port 80) to the gateway, for its HTTP-to-HTTPS redirect."
  type        = bool
  default     = true
}

variable "aci_subnet_name" {
  description = "Name of the container instance subnet (delegated to Microsoft.ContainerInstance/containerGroups)."
  type        = string
  default     = "snet-aci"
  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", var.aci_subnet_name))
    error_message = "Subnet names are 1-80 characters of letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'."
  }
}

variable "aci_subnet_address_prefix" {
  description = "CIDR of the container instance subnet (/29 or larger; one address per container group plus Azure's five)."
  type        = string
  validation {
    condition     = try(cidrsubnet(var.aci_subnet_address_prefix, 0, 0) == var.aci_subnet_address_prefix, false) && try(tonumber(split("/", var.aci_subnet_address_prefix)[1]) <= 29, false)
    error_message = "The aci_subnet_address_prefix must be a CIDR block (network address, no host bits) of /29 or larger, e.g. 10.20.1.0/24."
  }
}

variable "aci_subnet_service_endpoints" {
  description = "Service endpoints on the container instance subnet. Microsoft.KeyVault lets the agent sidecar read the certificate from a vault whose firewall admits this subnet."
  type        = list(string)
  default     = ["Microsoft.KeyVault"]
  validation {
    condition     = var.aci_subnet_service_endpoints != null
    error_message = "The aci_subnet_service_endpoints must not be null (use [])."
  }
  validation {
    condition     = var.aci_subnet_service_endpoints == null ? true : alltrue([for s in var.aci_subnet_service_endpoints : can(regex("^Microsoft\\.[A-Za-z.]+$", s))])
    error_message = "Service endpoints look like Microsoft.KeyVault or Microsoft.Sql."
  }
}

variable "aci_inbound_rules" {
  description = "More inbound rules for the container instance subnet besides Application Gateway to 443 (e.g. the dashboard's port from the virtual network). Priorities 200-3999, unique."
  type = list(object({
    name                    = string
    priority                = number
    protocol                = string
    source_address_prefix   = string
    destination_port_ranges = list(string)
  }))
  default = []
  validation {
    condition     = var.aci_inbound_rules != null
    error_message = "The aci_inbound_rules must not be null (use [])."
  }
  validation {
    condition = var.aci_inbound_rules == null ? true : alltrue([
      for r in var.aci_inbound_rules :
      can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", r.name)) &&
      r.priority >= 200 && r.priority <= 3999 && floor(r.priority) >= r.priority &&
      contains(["Tcp", "Udp", "Icmp", "*"], r.protocol) &&
      length(r.destination_port_ranges) > 0 &&
      alltrue([for p in r.destination_port_ranges : can(regex("^(\\*|[0-9]{1,5}(-[0-9]{1,5})?)$", p))])
    ])
    error_message = "Each rule needs a valid name (1-80 characters), an integer priority 200-3999, protocol Tcp, Udp, Icmp or *, and port ranges like \"8050\", \"8000-8100\" or \"*\"."
  }
  validation {
    condition     = var.aci_inbound_rules == null ? true : length(distinct([for r in var.aci_inbound_rules : r.priority])) == length(var.aci_inbound_rules) && length(distinct([for r in var.aci_inbound_rules : r.name])) == length(var.aci_inbound_rules)
    error_message = "Rule names and priorities must be unique."
  }
}

variable "private_endpoint_subnet_name" {
  description = "Name of the private endpoint subnet."
  type        = string
  default     = "snet-pe"
  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", var.private_endpoint_subnet_name))
    error_message = "Subnet names are 1-80 characters of letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'."
  }
}

variable "private_endpoint_subnet_address_prefix" {
  description = "CIDR of the private endpoint subnet (/29 or larger)."
  type        = string
  validation {
    condition     = try(cidrsubnet(var.private_endpoint_subnet_address_prefix, 0, 0) == var.private_endpoint_subnet_address_prefix, false) && try(tonumber(split("/", var.private_endpoint_subnet_address_prefix)[1]) <= 29, false)
    error_message = "The private_endpoint_subnet_address_prefix must be a CIDR block (network address, no host bits) of /29 or larger, e.g. 10.20.2.0/27."
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
