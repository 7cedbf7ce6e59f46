# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block: passing null explicitly would otherwise slip through to the resources.

variable "name" {
  description = "Name of the Application Gateway (1-80 characters: letters, digits, '_', '.', '-'; starts with a letter or digit, ends with a letter, digit or '_')."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", var.name))
    error_message = "The name must be 1-80 characters of letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'."
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

variable "resource_group_name" {
  description = "Resource group the gateway, its public IP and WAF policy are created in."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "subnet_id" {
  description = "Dedicated subnet of the gateway (its NSG must allow GatewayManager on 65200-65535 and AzureLoadBalancer)."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/virtualNetworks/[^/]+/subnets/[^/]+$", var.subnet_id))
    error_message = "The subnet_id must be a subnet resource id."
  }
}

variable "sku_name" {
  description = "Standard_v2, or WAF_v2 to put a Web Application Firewall policy in front (created by this module)."
  type        = string
  default     = "Standard_v2"
  validation {
    condition     = contains(["Standard_v2", "WAF_v2"], var.sku_name)
    error_message = "The sku_name must be Standard_v2 or WAF_v2."
  }
}

variable "autoscale" {
  description = "Autoscaling bounds {min_capacity (0-100), max_capacity (2-125)}; min_capacity must not exceed max_capacity."
  type = object({
    min_capacity = number
    max_capacity = number
  })
  default = {
    min_capacity = 1
    max_capacity = 2
  }
  validation {
    condition     = var.autoscale != null
    error_message = "The autoscale must not be null."
  }
  validation {
    condition = var.autoscale == null ? true : (
      floor(var.autoscale.min_capacity) >= var.autoscale.min_capacity && floor(var.autoscale.max_capacity) >= var.autoscale.max_capacity &&
      var.autoscale.min_capacity >= 0 && var.autoscale.min_capacity <= 100 &&
      var.autoscale.max_capacity >= 2 && var.autoscale.max_capacity <= 125 &&
      var.autoscale.min_capacity <= var.autoscale.max_capacity
    )
    error_message = "The autoscale needs whole numbers: min_capacity 0-100, max_capacity 2-125, and min_capacity <= max_capacity."
  }
}

variable "zones" {
  description = "Availability zones of the gateway and its public IP, e.g. [\"1\", \"2\", \"3\"] (the region must have zones). Empty (default) for none."
  type        = list(string)
  default     = []
  validation {
    condition     = var.zones != null
    error_message = "The zones must not be null (use [])."
  }
  validation {
    condition     = var.zones == null ? true : alltrue([for z in var.zones : contains(["1", "2", "3"], z)]) && length(distinct(var.zones)) == length(var.zones)
    error_message = "The zones must be distinct values out of \"1\", \"2\" and \"3\"."
  }
}

variable "identity_id" {
  description = "User-assigned identity the gateway reads its listener certificate from Key Vault with (needs Key Vault Secrets User on the vault before the gateway is created)."
  type        = string
  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/[^/]+$", var.identity_id))
    error_message = "The identity_id must be a user-assigned identity resource id."
  }
}

variable "ssl_certificate_secret_id" {
  description = "Versionless Key Vault secret id of the listener certificate, e.g. https://myvault.vault.azure.net/secrets/wildcard (letsencrypt_keyvault_cert's versionless_secret_id): the gateway follows renewals by itself."
  type        = string
  validation {
    condition     = can(regex("^https://[^/]+/secrets/[A-Za-z0-9-]{1,127}/?$", var.ssl_certificate_secret_id))
    error_message = "The ssl_certificate_secret_id must be a versionless secret id: https://<vault host>/secrets/<name> (no version)."
  }
}

variable "listener_host_names" {
  description = "Host names the HTTPS listener answers, e.g. [\"appgw.example.com\"] (SNI required). Empty (default) answers any host name."
  type        = list(string)
  default     = []
  validation {
    condition     = var.listener_host_names != null
    error_message = "The listener_host_names must not be null (use [])."
  }
  validation {
    condition     = var.listener_host_names == null ? true : length(var.listener_host_names) <= 5 && alltrue([for h in var.listener_host_names : can(regex("^(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$", h))])
    error_message = "Give at most 5 host names, each a DNS name such as appgw.example.com (a leading *. is allowed)."
  }
}

variable "backend_fqdns" {
  description = "Private names of the backends, e.g. [\"app.example.com\"] from a Private DNS zone linked to the gateway's network. The backends' certificate must match the name (it is sent as host name and SNI) and chain to a public CA or to backend_trusted_root_certificates."
  type        = list(string)
  validation {
    condition     = var.backend_fqdns != null
    error_message = "The backend_fqdns must not be null."
  }
  validation {
    condition     = var.backend_fqdns == null ? true : length(var.backend_fqdns) > 0 && alltrue([for h in var.backend_fqdns : can(regex("^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$", h))])
    error_message = "Give at least one backend name, each a fully qualified DNS name without a trailing dot."
  }
}

variable "backend_port" {
  description = "HTTPS port of the backends (the nginx sidecar listens on 443)."
  type        = number
  default     = 443
  validation {
    condition     = var.backend_port >= 1 && var.backend_port <= 65535 && floor(var.backend_port) >= var.backend_port
    error_message = "The backend_port must be a whole number from 1 to 65535."
  }
}

variable "backend_trusted_root_certificates" {
  description = "Root certificates for backends whose certificate does not chain to a public CA: name => base64-encoded DER (.cer) data. Empty (default): the backends use a publicly trusted certificate (e.g. Let's Encrypt)."
  type        = map(string)
  default     = {}
  validation {
    condition     = var.backend_trusted_root_certificates != null
    error_message = "The backend_trusted_root_certificates must not be null (use {})."
  }
  validation {
    condition     = var.backend_trusted_root_certificates == null ? true : alltrue([for k, v in var.backend_trusted_root_certificates : can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", k)) && can(base64decode(v))])
    error_message = "Each trusted root certificate needs a name of 1-80 letters, digits, '_', '.' or '-' and base64-encoded DER data."
  }
}

variable "health_probe" {
  description = "Backend health probe {path, interval (seconds), timeout (seconds), unhealthy_threshold}; the path is the API's /api/healthcheck by default."
  type = object({
    path                = string
    interval            = number
    timeout             = number
    unhealthy_threshold = number
  })
  default = {
    path                = "/api/healthcheck"
    interval            = 30
    timeout             = 30
    unhealthy_threshold = 3
  }
  validation {
    condition     = var.health_probe != null
    error_message = "The health_probe must not be null."
  }
  validation {
    condition = var.health_probe == null ? true : (
      can(regex("^/", var.health_probe.path)) &&
      var.health_probe.interval >= 1 && var.health_probe.interval <= 86400 &&
      var.health_probe.timeout >= 1 && var.health_probe.timeout <= 86400 &&
      var.health_probe.unhealthy_threshold >= 1 && var.health_probe.unhealthy_threshold <= 20
    )
    error_message = "The health_probe needs a path starting with /, interval and timeout of 1-86400 seconds and an unhealthy_threshold of 1-20."
  }
}

variable "http_redirect_enabled" {
  description = "Listen on port 80 and redirect every request to HTTPS (permanent, with path and query string)."
  type        = bool
  default     = true
}

variable "ssl_policy_name" {
  description = "Predefined TLS policy of the listeners: AppGwSslPolicy20220101S (default: TLS 1.2+, strong ciphers) or AppGwSslPolicy20220101 (TLS 1.2+)."
  type        = string
  default     = "AppGwSslPolicy20220101S"
  validation {
    condition     = contains(["AppGwSslPolicy20220101", "AppGwSslPolicy20220101S"], var.ssl_policy_name)
    error_message = "The ssl_policy_name must be AppGwSslPolicy20220101 or AppGwSslPolicy20220101S (TLS 1.2 or newer)."
  }
}

variable "public_ip_name" {
  description = "Name of the gateway's public IP; null (default) for pip-<name>."
  type        = string
  default     = null
  validation {
    condition     = var.public_ip_name == null ? true : can(regex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$", var.public_ip_name))
    error_message = "The public_ip_name must be 1-80 characters of letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'."
  }
}

variable "domain_name_label" {
  description = "DNS label of the public IP: <label>.<region>.cloudapp.azure.com, what a public CNAME (appgw.<domain>) points at. Unique per region. null (default) for none."
  type        = string
  default     = null
  validation {
    condition     = var.domain_name_label == null ? true : can(regex("^[a-z][a-z0-9-]{1,61}[a-z0-9]$", var.domain_name_label))
    error_message = "The domain_name_label must be 3-63 lower-case letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "waf_mode" {
  description = "With sku_name WAF_v2: Prevention (block) or Detection (log only)."
  type        = string
  default     = "Prevention"
  validation {
    condition     = contains(["Prevention", "Detection"], var.waf_mode)
    error_message = "The waf_mode must be Prevention or Detection."
  }
}

variable "waf_managed_rule_set" {
  description = "With sku_name WAF_v2: managed rule set {type, version}: Microsoft_DefaultRuleSet 2.1 (default) or OWASP 3.2."
  type = object({
    type    = string
    version = string
  })
  default = {
    type    = "Microsoft_DefaultRuleSet"
    version = "2.1"
  }
  validation {
    condition     = var.waf_managed_rule_set != null
    error_message = "The waf_managed_rule_set must not be null."
  }
  validation {
    condition     = var.waf_managed_rule_set == null ? true : contains(["Microsoft_DefaultRuleSet/2.1", "OWASP/3.2"], "${var.waf_managed_rule_set.type}/${var.waf_managed_rule_set.version}")
    error_message = "The waf_managed_rule_set must be Microsoft_DefaultRuleSet 2.1 or OWASP 3.2."
  }
}

variable "diagnostics" {
  description = "Send the gateway's access, performance and firewall logs to a Log Analytics workspace: {log_analytics_workspace_id (resource id)}. null (default) for none. An object, so whether logging is on is known at plan time even while the workspace id is not."
  type = object({
    log_analytics_workspace_id = string
  })
  default = null
  validation {
    condition     = var.diagnostics == null ? true : can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.diagnostics.log_analytics_workspace_id))
    error_message = "The diagnostics.log_analytics_workspace_id must be a Log Analytics workspace resource id."
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
