# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "name" {
  description = "Name of the dashboard container group (1-63 lower-case letters, digits and single hyphens)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.name)) && !can(regex("--", var.name))
    error_message = "The name must be 1-63 lower-case letters, digits and hyphens, must not start or end with a hyphen and must not contain consecutive hyphens."
  }
}

variable "location" {
  description = "Azure region, e.g. westeurope (the same as the subnet's virtual network)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9 ]*$", var.location))
    error_message = "The location must be an Azure region name, e.g. westeurope."
  }
}

variable "resource_group_id" {
  description = "Resource id of the resource group the container group is created in. An id rather than a name: the agent needs the group's own id (ACILAB_CONTAINER_GROUP_ID), which a resource cannot reference, and a data source to look up the subscription would be re-read, and force the group's replacement, whenever the module has a depends_on with pending changes."
  type        = string
  validation {
    condition     = can(regex("^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_id))
    error_message = "The resource_group_id must look like /subscriptions/<guid>/resourceGroups/<name> (azurerm_resource_group.this.id)."
  }
}

variable "subnet_id" {
  description = "Subnet delegated to Microsoft.ContainerInstance/containerGroups; the group gets a private IP only."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.subnet_id))
    error_message = "The subnet_id must be a subnet resource id."
  }
}

variable "dns_servers" {
  description = "Name servers the containers use. Azure DNS (168.63.129.16) answers from the Private DNS zones linked to the network (SQL's privatelink zone, the app zone)."
  type        = list(string)
  default     = ["168.63.129.16"]
  validation {
    condition     = var.dns_servers != null
    error_message = "The dns_servers must not be null."
  }
  validation {
    condition     = var.dns_servers == null ? true : length(var.dns_servers) > 0 && alltrue([for ip in var.dns_servers : can(cidrhost("${ip}/32", 0))])
    error_message = "Give at least one name server, each an IPv4 address."
  }
}

variable "identity" {
  description = "The workload's user-assigned identity {id, client_id, principal_id} (e.g. module.identity.identities[\"dashboard\"]): it pulls the images, and the agent uses it (AZURE_CLIENT_ID) for Private DNS."
  type = object({
    id           = string
    client_id    = string
    principal_id = string
  })
  validation {
    condition     = var.identity != null
    error_message = "The identity must not be null: the group pulls its images and the agent signs in with it."
  }
  validation {
    condition     = var.identity == null ? true : can(regex("(?i)/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/[^/]+$", var.identity.id))
    error_message = "The identity.id must be a user-assigned identity resource id."
  }
}

variable "additional_identity_ids" {
  description = "More user-assigned identities for the group, e.g. a data identity that is the SQL server's Entra administrator; a container picks one by its AZURE_CLIENT_ID environment variable (the agent uses identity)."
  type        = list(string)
  default     = []
  validation {
    condition     = var.additional_identity_ids != null
    error_message = "The additional_identity_ids must not be null (use [])."
  }
  validation {
    condition     = var.additional_identity_ids == null ? true : alltrue([for id in var.additional_identity_ids : can(regex("(?i)/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/[^/]+$", id))])
    error_message = "Each additional identity must be a user-assigned identity resource id."
  }
}

variable "registry_login_server" {
  description = "Login server of the Azure Container Registry holding the images, e.g. myregistry.azurecr.io; images are pulled with the identity."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$", var.registry_login_server))
    error_message = "The registry_login_server must be a host name such as myregistry.azurecr.io (no scheme, no path)."
  }
}

variable "images" {
  description = "Image of each container, relative to the registry, with a tag or digest: {dashboard, agent}, e.g. dashboard = \"acilab/dashboard:1.0.0\"."
  type = object({
    dashboard = string
    agent     = string
  })
  validation {
    condition     = var.images != null
    error_message = "The images must not be null."
  }
  validation {
    condition = var.images == null ? true : alltrue([
      for i in [var.images.dashboard, var.images.agent] :
      can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", i))
    ])
    error_message = "Each image must be a repository path relative to the registry with a tag or digest, e.g. acilab/dashboard:1.0.0 (no registry host)."
  }
}

variable "container_resources" {
  description = "CPU cores and memory (GB) of each container: {dashboard, agent} => {cpu, memory}. The group's total must stay within 4 cores and 16 GB."
  type = object({
    dashboard = object({ cpu = number, memory = number })
    agent     = object({ cpu = number, memory = number })
  })
  default = {
    dashboard = { cpu = 0.5, memory = 1 }
    agent     = { cpu = 0.25, memory = 0.5 }
  }
  validation {
    condition     = var.container_resources != null
    error_message = "The container_resources must not be null."
  }
  validation {
    condition = var.container_resources == null ? true : (
      alltrue([for r in values(var.container_resources) : r.cpu >= 0.1 && r.memory >= 0.1]) &&
      sum([for r in values(var.container_resources) : r.cpu]) <= 4 &&
      sum([for r in values(var.container_resources) : r.memory]) <= 16
    )
    error_message = "Each container needs at least 0.1 cores and 0.1 GB; the group's total must stay within 4 cores and 16 GB."
  }
}

variable "dashboard_environment_variables" {
  description = "Environment of the dashboard container (not secret), e.g. SQL_ENGINE, SQL_SERVER_FQDN, SQL_SERVER_DB."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.dashboard_environment_variables != null
    error_message = "The dashboard_environment_variables must not be null (use {})."
  }
}

variable "dashboard_secure_environment_variables" {
  description = "Secret environment of the dashboard container (secure_environment_variables: not shown by Azure, but kept in Terraform state)."
  type        = map(string)
  default     = {}
  sensitive   = true
  validation {
    condition     = var.dashboard_secure_environment_variables != null
    error_message = "The dashboard_secure_environment_variables must not be null (use {})."
  }
}

variable "dns_zone_id" {
  description = "Resource id of the Private DNS zone the agent registers the group's private IP in (ACILAB_DNS_ZONE_ID)."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/[^/]+$", var.dns_zone_id))
    error_message = "The dns_zone_id must be a Private DNS zone resource id."
  }
}

variable "dns_record_name" {
  description = "Relative name of the dashboard's A record, e.g. dashboard for dashboard.<zone> (ACILAB_DNS_RECORD_NAME)."
  type        = string
  default     = "dashboard"
  validation {
    condition     = var.dns_record_name == "@" || can(regex("^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$", var.dns_record_name))
    error_message = "The dns_record_name must be a relative DNS name (labels of letters, digits, '-' or '_', 1-63 characters each) or @ for the zone apex."
  }
}

variable "dns_owner" {
  description = "Ownership marker the agent writes into the record's metadata (ACILAB_DNS_OWNER). Must equal the owner of an aci_private_dns_sync managing the same record, so both may write it."
  type        = string
  default     = "acilab-agent"
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", var.dns_owner))
    error_message = "The dns_owner must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit."
  }
}

variable "dns_ttl" {
  description = "TTL in seconds of the A record (ACILAB_DNS_TTL); short, so clients follow a restarted group's new IP quickly."
  type        = number
  default     = 10
  validation {
    condition     = var.dns_ttl >= 1 && var.dns_ttl <= 2147483647 && floor(var.dns_ttl) >= var.dns_ttl
    error_message = "The dns_ttl must be a whole number of seconds from 1 to 2147483647."
  }
}

variable "agent_ip_source" {
  description = "Where the agent learns the group's private IP (ACILAB_IP_SOURCE): arm (the group as Azure Resource Manager reports it) or interface (the container's own address)."
  type        = string
  default     = "arm"
  validation {
    condition     = contains(["arm", "interface"], var.agent_ip_source)
    error_message = "The agent_ip_source must be arm or interface."
  }
}

variable "agent_interval_seconds" {
  description = "Seconds between the agent's checks of the record (ACILAB_INTERVAL_SECONDS)."
  type        = number
  default     = 30
  validation {
    condition     = var.agent_interval_seconds >= 1 && var.agent_interval_seconds <= 3600 && floor(var.agent_interval_seconds) >= var.agent_interval_seconds
    error_message = "The agent_interval_seconds must be a whole number from 1 to 3600."
  }
}

variable "agent_health_port" {
  description = "Port of the agent's /healthz (liveness probe) and /readyz endpoints (ACILAB_HEALTH_ADDR=0.0.0.0:<port>)."
  type        = number
  default     = 8091
  validation {
    condition     = var.agent_health_port >= 1024 && var.agent_health_port <= 65535 && floor(var.agent_health_port) >= var.agent_health_port && tostring(var.agent_health_port) != "8050"
    error_message = "The agent_health_port must be a whole number from 1024 to 65535 other than the dashboard's port (8050)."
  }
}

variable "agent_log_level" {
  description = "Agent log level (ACILAB_LOG): error, warn, info, debug or trace."
  type        = string
  default     = "info"
  validation {
    condition     = contains(["error", "warn", "info", "debug", "trace"], var.agent_log_level)
    error_message = "The agent_log_level must be error, warn, info, debug or trace."
  }
}

variable "agent_role_assignments_enabled" {
  description = "Grant the identity what the agent needs: Reader on the container group and Private DNS Zone Contributor on dns_zone_id. Turn off to assign them yourself (or when the identity already has them, e.g. shared with the app groups)."
  type        = bool
  default     = true
}

variable "log_analytics_workspace_id" {
  description = "Workspace (customer) id, a GUID, of a Log Analytics workspace for the containers' logs; null (default) for none."
  type        = string
  default     = null
  validation {
    condition     = var.log_analytics_workspace_id == null ? true : can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.log_analytics_workspace_id))
    error_message = "The log_analytics_workspace_id must be the workspace's GUID (workspace_id attribute), not its resource id."
  }
}

variable "log_analytics_workspace_key" {
  description = "Primary shared key of the Log Analytics workspace; needed with log_analytics_workspace_id."
  type        = string
  default     = null
  sensitive   = true
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
