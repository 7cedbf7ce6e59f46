# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "private_dns_zone_id" {
  description = "Resource id of the Private DNS zone. Changing it creates a new record."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/[^/]+$", var.private_dns_zone_id))
    error_message = "The private_dns_zone_id must be a Private DNS zone resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>)."
  }
}

variable "name" {
  description = "Relative record name, e.g. app for app.<zone>, or @ for the apex. Changing it creates a new record."
  type        = string
  validation {
    condition     = var.name == "@" || can(regex("^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$", var.name))
    error_message = "The name must be a relative DNS name (labels of letters, digits, '-' or '_', 1-63 characters each) or @ for the zone apex."
  }
}

variable "container_group_ids" {
  description = "Resource ids of the container groups whose private IPs the record holds (at least one; several give round robin)."
  type        = list(string)
  validation {
    condition     = var.container_group_ids != null
    error_message = "The container_group_ids must not be null."
  }
  validation {
    condition     = var.container_group_ids == null ? true : length(var.container_group_ids) > 0 && alltrue([for id in var.container_group_ids : can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.ContainerInstance/containerGroups/[^/]+$", id))])
    error_message = "Give at least one container group resource id (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerInstance/containerGroups/<name>)."
  }
}

variable "ttl" {
  description = "Record TTL in seconds; short, so clients follow a restarted group quickly."
  type        = number
  default     = 10
  validation {
    condition     = var.ttl >= 1 && var.ttl <= 2147483647 && floor(var.ttl) >= var.ttl
    error_message = "The ttl must be a whole number of seconds from 1 to 2147483647."
  }
}

variable "owner" {
  description = "Ownership marker in the record's metadata; a record with another owner is never changed. Pass the same string as the agent's ACILAB_DNS_OWNER (the container group modules' dns_owner) so both may write the record. null lets the provider create a stable id (then no agent can share the record)."
  type        = string
  default     = null
  validation {
    condition     = var.owner == null ? true : can(regex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", var.owner))
    error_message = "The owner must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit."
  }
}
