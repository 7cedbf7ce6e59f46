# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1), so
# collections reject null with a validation block.

variable "private_dns_zone_id" {
  description = "Resource id of an existing Private DNS zone (whoever runs Terraform needs Private DNS Zone Contributor there)."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/[^/]+$", var.private_dns_zone_id))
    error_message = "The private_dns_zone_id must be a Private DNS zone resource id."
  }
}

variable "container_group_ids" {
  description = "Resource ids of existing container groups with private IPs (Reader on them is enough)."
  type        = list(string)
  validation {
    condition     = var.container_group_ids != null
    error_message = "The container_group_ids must not be null."
  }
  validation {
    condition     = var.container_group_ids == null ? true : length(var.container_group_ids) > 0
    error_message = "Give at least one container group id."
  }
}

variable "record_name" {
  description = "Relative record name, e.g. app for app.<zone>."
  type        = string
  default     = "app"
}

variable "ttl" {
  description = "Record TTL in seconds."
  type        = number
  default     = 10
}

variable "owner" {
  description = "Ownership marker in the record's metadata. acilab-agent is the agent's default ACILAB_DNS_OWNER, so agents in the groups may write the same record."
  type        = string
  default     = "acilab-agent"
}
