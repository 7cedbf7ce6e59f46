# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "name_prefix" {
  description = "Container groups are named <name_prefix>-<index>, index from 0 (lower-case letters, digits and single hyphens; at most 60 characters)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$", var.name_prefix)) && !can(regex("--", var.name_prefix))
    error_message = "The name_prefix must be 1-60 lower-case letters, digits and hyphens, must not start or end with a hyphen and must not contain consecutive hyphens."
  }
}

variable "instance_count" {
  description = "Number of identical app container groups (all behind one private DNS name, round robin)."
  type        = number
  default     = 2
  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 20 && floor(var.instance_count) >= var.instance_count
    error_message = "The instance_count must be a whole number from 1 to 20."
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
  description = "Resource id of the resource group the container groups are created in. An id rather than a name: the agent needs each group's own id (ACILAB_CONTAINER_GROUP_ID), which a resource cannot reference, and a data source to look up the subscription would be re-read, and force the groups' replacement, whenever the module has a depends_on with pending changes."
  type        = string
  validation {
    condition     = can(regex("^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_id))
    error_message = "The resource_group_id must look like /subscriptions/<guid>/resourceGroups/<name> (azurerm_resource_group.this.id)."
  }
}

variable "subnet_id" {
  description = "Subnet delegated to Microsoft.ContainerInstance/containerGroups; the groups get private IPs only."
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
  description = "The workload's user-assigned identity {id, client_id, principal_id} (e.g. module.identity.identities[\"app\"]): it pulls the images, and the agent uses it (AZURE_CLIENT_ID) for Private DNS and Key Vault."
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
  description = "Image of each container, relative to the registry, with a tag or digest: {nginx, web, api, agent}, e.g. nginx = \"nginx:1.27-alpine\" (imported into the registry), web = \"acilab/web:1.0.0\"."
  type = object({
    nginx = string
    web   = string
    api   = string
    agent = string
  })
  validation {
    condition     = var.images != null
    error_message = "The images must not be null."
  }
  validation {
    condition = var.images == null ? true : alltrue([
      for i in [var.images.nginx, var.images.web, var.images.api, var.images.agent] :
      can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", i))
    ])
    error_message = "Each image must be a repository path relative to the registry with a tag or digest, e.g. acilab/web:1.0.0 (no registry host)."
  }
}

variable "container_resources" {
  description = "CPU cores and memory (GB) of each container: {nginx, web, api, agent} => {cpu, memory}. The group's total must stay within 4 cores and 16 GB."
  type = object({
    nginx = object({ cpu = number, memory = number })
    web   = object({ cpu = number, memory = number })
    api   = object({ cpu = number, memory = number })
    agent = object({ cpu = number, memory = number })
  })
  default = {
    nginx = { cpu = 0.25, memory = 0.5 }
    web   = { cpu = 0.5, memory = 1 }
    api   = { cpu = 0.5, memory = 1 }
    agent = { cpu = 0.25, memory = 0.5 }
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

variable "web_environment_variables" {
  description = "Environment of the web container (not secret). API_URL defaults to the API in the same group (http://127.0.0.1:8080)."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.web_environment_variables != null
    error_message = "The web_environment_variables must not be null (use {})."
  }
}

variable "api_environment_variables" {
  description = "Environment of the API container (not secret), e.g. SQL_ENGINE, SQL_SERVER_FQDN, SQL_SERVER_DB."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.api_environment_variables != null
    error_message = "The api_environment_variables must not be null (use {})."
  }
}

variable "api_secure_environment_variables" {
  description = "Secret environment of the API container (secure_environment_variables: not shown by Azure, but kept in Terraform state)."
  type        = map(string)
  default     = {}
  sensitive   = true
  validation {
    condition     = var.api_secure_environment_variables != null
    error_message = "The api_secure_environment_variables must not be null (use {})."
  }
}

variable "dns_zone_id" {
  description = "Resource id of the Private DNS zone the agent registers the groups' private IPs in (ACILAB_DNS_ZONE_ID)."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/[^/]+$", var.dns_zone_id))
    error_message = "The dns_zone_id must be a Private DNS zone resource id."
  }
}

variable "dns_record_name" {
  description = "Relative name of the A record all app groups share (round robin), e.g. app for app.<zone> (ACILAB_DNS_RECORD_NAME)."
  type        = string
  default     = "app"
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

variable "certificate" {
  description = "Key Vault certificate nginx serves: {key_vault_id, key_vault_uri (e.g. https://myvault.vault.azure.net/), name}. The agent reads its chain and key (the certificate's secret) into the shared volume. For App Gateway's end-to-end TLS its names must cover <dns_record_name>.<zone>."
  type = object({
    key_vault_id  = string
    key_vault_uri = string
    name          = string
  })
  validation {
    condition     = var.certificate != null
    error_message = "The certificate must not be null: nginx serves it."
  }
  validation {
    condition = var.certificate == null ? true : (
      can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.KeyVault/vaults/[^/]+$", var.certificate.key_vault_id)) &&
      can(regex("^https://[^/]+/?$", var.certificate.key_vault_uri)) &&
      can(regex("^[A-Za-z0-9-]{1,127}$", var.certificate.name))
    )
    error_message = "The certificate needs a Key Vault resource id, the vault's https URL and a certificate name of 1-127 letters, digits and hyphens."
  }
}

variable "cert_dir" {
  description = "Directory of the volume shared by the agent (writes tls.pem = chain + key and tls.crt = chain) and nginx (reads them) (ACILAB_CERT_DIR)."
  type        = string
  default     = "/certs"
  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$", var.cert_dir)) && var.cert_dir != "/"
    error_message = "The cert_dir must be an absolute directory path other than /, without a trailing slash."
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
  description = "Seconds between the agent's checks of the record and the certificate (ACILAB_INTERVAL_SECONDS)."
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
    condition     = var.agent_health_port >= 1024 && var.agent_health_port <= 65535 && floor(var.agent_health_port) >= var.agent_health_port && !contains(["80", "443", "8080"], tostring(var.agent_health_port))
    error_message = "The agent_health_port must be a whole number from 1024 to 65535 other than the app's ports (8080)."
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
  description = "Grant the identity what the agent needs: Reader on each container group, Private DNS Zone Contributor on dns_zone_id and Key Vault Certificate User on the certificate's vault (the agent reads the certificate, then its secret). Turn off to assign them yourself."
  type        = bool
  default     = true
}

variable "nginx_worker_user" {
  description = "User nginx's worker processes run as. They read the certificate at each handshake, and the agent writes tls.pem with mode 0600, so this must be the user the agent runs as: `nginx` (uid 101 in the official nginx images) matches the acilab-agent image, which runs as uid 101."
  type        = string
  default     = "nginx"
  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.nginx_worker_user))
    error_message = "The nginx_worker_user must be a Unix user name."
  }
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
