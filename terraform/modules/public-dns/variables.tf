# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "zone_name" {
  description = "Name of the existing Azure public DNS zone, e.g. example.com."
  type        = string
  validation {
    condition     = length(var.zone_name) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.zone_name))
    error_message = "The zone_name must be a lower-case DNS name such as example.com, without a trailing dot."
  }
}

variable "resource_group_name" {
  description = "Resource group of the public DNS zone."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "record_name" {
  description = "Relative name of the gateway's record, e.g. appgw for appgw.<zone>. A CNAME cannot sit at the apex (@); use target type A there."
  type        = string
  default     = "appgw"
  validation {
    condition     = var.record_name == "@" || can(regex("^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$", var.record_name))
    error_message = "The record_name must be a relative DNS name (labels of letters, digits, '-' or '_') or @ for the apex."
  }
}

variable "target" {
  description = "What the name points at: {type, value}. type CNAME: value is a host name, e.g. the public IP's <label>.<region>.cloudapp.azure.com. type A: value is a public IP resource id, and the record is an alias that follows the IP (works at the apex too). The type is separate so the record kind is known at plan time while the value may not be."
  type = object({
    type  = string
    value = string
  })
  validation {
    condition     = var.target != null
    error_message = "The target must not be null."
  }
  validation {
    condition = var.target == null ? true : (
      var.target.type == "CNAME" ? can(regex("^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]\\.?$", var.target.value)) :
      var.target.type == "A" ? can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/publicIPAddresses/[^/]+$", var.target.value)) :
      false
    )
    error_message = "The target.type must be CNAME (value: a fully qualified host name) or A (value: a public IP resource id)."
  }
}

variable "ttl" {
  description = "Record TTL in seconds."
  type        = number
  default     = 300
  validation {
    condition     = var.ttl >= 1 && var.ttl <= 2147483647 && floor(var.ttl) >= var.ttl
    error_message = "The ttl must be a whole number of seconds from 1 to 2147483647."
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
