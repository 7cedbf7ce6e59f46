# Terraform 1.0.3 is the supported floor. It has no `nullable = false` (Terraform 1.1) and no
# optional() object attributes (1.3), so collections default to {} / [] and reject null with a
# validation block.

# --- Required ------------------------------------------------------------------------------------

variable "domain" {
  description = "Your domain: the name of an existing Azure public DNS zone, e.g. example.com. The certificate covers it and *.<domain>; the gateway answers at appgw.<domain>."
  type        = string
  validation {
    condition     = length(var.domain) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.domain))
    error_message = "The domain must be a lower-case DNS name such as example.com, without a trailing dot."
  }
}

variable "dns_zone_resource_group_name" {
  description = "Resource group of the existing public DNS zone named like the domain."
  type        = string
  validation {
    condition     = can(regex("^[-\\w._()]{0,89}[-\\w_()]$", var.dns_zone_resource_group_name))
    error_message = "The resource group name must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')' and must not end with '.'."
  }
}

variable "acme_email" {
  description = "Contact e-mail for the Let's Encrypt account (expiry notices)."
  type        = string
  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.acme_email))
    error_message = "The acme_email must be an e-mail address."
  }
}

# --- Optional ------------------------------------------------------------------------------------

variable "deployment_stage" {
  description = "How far this apply goes; each stage includes the ones before it: infrastructure (resource group, logs, network, private DNS, identities, registry, Key Vault, SQL, the deployer's DNS role), certificate (+ the Let's Encrypt certificate in Key Vault), app_groups (+ the app and dashboard container groups and their DNS records: push the images first), gateway (default: + Application Gateway and appgw.<domain>, i.e. everything). For a first deployment step by step without -target; a stage below the one applied before destroys what the later stages created."
  type        = string
  default     = "gateway"
  validation {
    condition     = contains(["infrastructure", "certificate", "app_groups", "gateway"], var.deployment_stage)
    error_message = "The deployment_stage must be infrastructure, certificate, app_groups or gateway."
  }
}

variable "subscription_id" {
  description = "Subscription to deploy into; null (default) takes ARM_SUBSCRIPTION_ID from the environment (azurerm 4.x needs one of the two)."
  type        = string
  default     = null
  validation {
    condition     = var.subscription_id == null ? true : can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.subscription_id))
    error_message = "The subscription_id must be a GUID."
  }
}

variable "location" {
  description = "Azure region of everything but the existing DNS zone. It must offer availability zones while acr_zone_redundancy_enabled is true."
  type        = string
  default     = "westeurope"
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9 ]*$", var.location))
    error_message = "The location must be an Azure region name, e.g. westeurope."
  }
}

variable "name_prefix" {
  description = "Short prefix of every resource name (2-10 lower-case letters and digits, starting with a letter). Globally unique names (Key Vault, registry, SQL server, the gateway's DNS label) also get a suffix derived from the subscription, prefix and region."
  type        = string
  default     = "acilab"
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.name_prefix))
    error_message = "The name_prefix must be 2-10 lower-case letters and digits, starting with a letter."
  }
}

variable "private_zone_name" {
  description = "Private DNS zone the container groups register in; null (default) uses the domain itself (split horizon), so app.<domain> resolves privately to the app groups and matches the *.<domain> certificate the gateway re-encrypts to. Another zone needs a certificate that covers app.<zone>."
  type        = string
  default     = null
  validation {
    condition     = var.private_zone_name == null ? true : length(var.private_zone_name) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.private_zone_name))
    error_message = "The private_zone_name must be a lower-case DNS name without a trailing dot."
  }
}

variable "address_space" {
  description = "Address space of the virtual network."
  type        = string
  default     = "10.42.0.0/16"
  validation {
    condition     = try(cidrsubnet(var.address_space, 0, 0) == var.address_space, false) && try(tonumber(split("/", var.address_space)[1]) <= 22, false)
    error_message = "The address_space must be a CIDR block (network address) of /22 or larger."
  }
}

variable "subnet_prefixes" {
  description = "Subnets inside address_space: {app_gateway (/26 or larger), aci (/29 or larger), private_endpoint (/29 or larger)}."
  type = object({
    app_gateway      = string
    aci              = string
    private_endpoint = string
  })
  default = {
    app_gateway      = "10.42.0.0/24"
    aci              = "10.42.1.0/24"
    private_endpoint = "10.42.2.0/27"
  }
  validation {
    condition     = var.subnet_prefixes != null
    error_message = "The subnet_prefixes must not be null."
  }
  validation {
    condition = var.subnet_prefixes == null ? true : alltrue([
      for c in [var.subnet_prefixes.app_gateway, var.subnet_prefixes.aci, var.subnet_prefixes.private_endpoint] :
      try(cidrsubnet(c, 0, 0) == c, false)
    ])
    error_message = "Each subnet prefix must be a CIDR block (network address, no host bits)."
  }
}

variable "app_instance_count" {
  description = "Number of app container groups behind app.<private zone> (round robin)."
  type        = number
  default     = 2
  validation {
    condition     = var.app_instance_count >= 1 && var.app_instance_count <= 20 && floor(var.app_instance_count) >= var.app_instance_count
    error_message = "The app_instance_count must be a whole number from 1 to 20."
  }
}

variable "images" {
  description = "Images in the registry, with tags: {nginx, web, api, dashboard, agent}. Import nginx (az acr import) and push the acilab images before the container groups are created (see README)."
  type = object({
    nginx     = string
    web       = string
    api       = string
    dashboard = string
    agent     = string
  })
  default = {
    nginx     = "nginx:1.27-alpine"
    web       = "acilab/web:latest"
    api       = "acilab/api:latest"
    dashboard = "acilab/dashboard:latest"
    agent     = "acilab/agent:latest"
  }
  validation {
    condition     = var.images != null
    error_message = "The images must not be null."
  }
}

variable "acme_directory_url" {
  description = "ACME directory; null (default) for Let's Encrypt production. Let's Encrypt staging (https://acme-staging-v02.api.letsencrypt.org/directory) is good for dry runs but its certificates are trusted by neither browsers nor the gateway's backend check."
  type        = string
  default     = null
  validation {
    condition     = var.acme_directory_url == null ? true : can(regex("^https://", var.acme_directory_url))
    error_message = "The acme_directory_url must be an https URL."
  }
}

variable "deployer_ip_ranges" {
  description = "Public CIDR blocks of the machine running Terraform (the letsencrypt provider writes the certificate into Key Vault from there). With ranges the vault's firewall denies everything else but the gateway and container subnets; empty (default) leaves the vault's firewall open to any address (RBAC still applies)."
  type        = list(string)
  default     = []
  validation {
    condition     = var.deployer_ip_ranges != null
    error_message = "The deployer_ip_ranges must not be null (use [])."
  }
  validation {
    condition     = var.deployer_ip_ranges == null ? true : alltrue([for c in var.deployer_ip_ranges : can(cidrhost(c, 0))])
    error_message = "Each deployer IP range must be a CIDR block, e.g. 203.0.113.7/32."
  }
}

variable "deployer_dns_zone_role_enabled" {
  description = "Assign DNS Zone Contributor on the public zone to the identity running Terraform (the letsencrypt provider's DNS-01 challenge needs it). Turn off when it already has that role at exactly the zone's scope (a duplicate assignment fails) or a broader role such as Contributor."
  type        = bool
  default     = true
}

variable "key_vault_private_endpoint_enabled" {
  description = "Give the vault a private endpoint (and create privatelink.vaultcore.azure.net); by default the gateway and container subnets reach it through service endpoints."
  type        = bool
  default     = false
}

variable "key_vault_purge_protection_enabled" {
  description = "Purge protection on the vault: recommended, but the vault name then stays taken for the retention period after a destroy."
  type        = bool
  default     = true
}

variable "sql_entra_administrator" {
  description = "Entra administrator of the SQL server {login_username, object_id}; null (default) makes the \"sql\" identity (attached to the app and dashboard groups, used by the API and the dashboard) the administrator, so no contained-user step (T-SQL, outside Terraform) is needed. Use an Entra group holding that identity and your operators for anything beyond a sample."
  type = object({
    login_username = string
    object_id      = string
  })
  default = null
}

variable "app_gateway_sku" {
  description = "Standard_v2 or WAF_v2 (adds a WAF policy in Prevention mode)."
  type        = string
  default     = "Standard_v2"
  validation {
    condition     = contains(["Standard_v2", "WAF_v2"], var.app_gateway_sku)
    error_message = "The app_gateway_sku must be Standard_v2 or WAF_v2."
  }
}

variable "acr_zone_redundancy_enabled" {
  description = "Zone-redundant registry (the region must have availability zones)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags on every resource that takes tags."
  type        = map(string)
  default = {
    workload = "acilab"
  }
  validation {
    condition     = var.tags != null
    error_message = "The tags must not be null (use {})."
  }
}
