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
