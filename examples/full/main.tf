# The whole acilab sample: app container groups (nginx TLS sidecar, web, API, agent) and a
# dashboard in a delegated subnet, Azure SQL behind a private endpoint, Application Gateway v2
# re-encrypting to the app groups' private name, a Let's Encrypt wildcard certificate issued into
# Key Vault, images in ACR, one identity per workload and appgw.<domain> in public DNS.

provider "azurerm" {
  features {}
  subscription_id = var.subscription_id
}

# Both read the same ARM_* settings (or Azure CLI login) as azurerm.
provider "aci" {}
provider "letsencrypt" {}

data "azurerm_client_config" "current" {}

data "azurerm_dns_zone" "public" {
  name                = var.domain
  resource_group_name = var.dns_zone_resource_group_name
}

locals {
  # Globally unique names get a short, stable suffix (no random provider needed).
  suffix            = substr(sha1("${data.azurerm_client_config.current.subscription_id}/${var.name_prefix}/${var.location}"), 0, 6)
  private_zone_name = var.private_zone_name == null ? var.domain : var.private_zone_name
  appgw_host_name   = "appgw.${var.domain}"
  # The agents and aci_private_dns_sync write the same records: they must share the owner.
  dns_owner = "${var.name_prefix}-agent"

  # The API and the dashboard sign in to the Entra-only SQL server with the "sql" identity, the
  # server's administrator by default: no contained-user T-SQL step outside Terraform.
  sql_administrator = var.sql_entra_administrator == null ? {
    login_username = module.identity.names["sql"]
    object_id      = module.identity.principal_ids["sql"]
  } : var.sql_entra_administrator

  # var.deployment_stage: how far this apply goes (each stage includes the ones before it), so a
  # first deployment can go step by step without -target: the images are pushed to the registry
  # between "infrastructure" and "app_groups" (.github/workflows/deploy.yml does exactly that).
  stage              = index(["infrastructure", "certificate", "app_groups", "gateway"], var.deployment_stage)
  deploy_certificate = local.stage >= 1
  deploy_app_groups  = local.stage >= 2
  deploy_gateway     = local.stage >= 3
}

resource "azurerm_resource_group" "this" {
  name     = "rg-${var.name_prefix}"
  location = var.location
  tags     = var.tags
}

resource "azurerm_log_analytics_workspace" "this" {
  name                = "log-${var.name_prefix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = var.tags
}

module "network" {
  source = "../../terraform/modules/network"

  name                                   = "vnet-${var.name_prefix}"
  location                               = azurerm_resource_group.this.location
  resource_group_name                    = azurerm_resource_group.this.name
  address_space                          = [var.address_space]
  app_gateway_subnet_address_prefix      = var.subnet_prefixes.app_gateway
  aci_subnet_address_prefix              = var.subnet_prefixes.aci
  private_endpoint_subnet_address_prefix = var.subnet_prefixes.private_endpoint
  aci_inbound_rules = [{
    name                    = "AllowVnetToDashboard"
    priority                = 200
    protocol                = "Tcp"
    source_address_prefix   = "VirtualNetwork"
    destination_port_ranges = ["8050"]
  }]
  tags = var.tags
}

module "private_dns" {
  source = "../../terraform/modules/private-dns"

  resource_group_name            = azurerm_resource_group.this.name
  app_zone_name                  = local.private_zone_name
  sql_private_link_enabled       = true
  key_vault_private_link_enabled = var.key_vault_private_endpoint_enabled
  virtual_network_links          = { vnet = module.network.resource_id }
  tags                           = var.tags
}

module "identity" {
  source = "../../terraform/modules/identity"

  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  identities = {
    app       = "id-${var.name_prefix}-app"
    dashboard = "id-${var.name_prefix}-dashboard"
    gateway   = "id-${var.name_prefix}-appgw"
    sql       = "id-${var.name_prefix}-sql"
  }
  tags = var.tags
}

module "acr" {
  source = "../../terraform/modules/acr"

  name                    = "acr${var.name_prefix}${local.suffix}"
  location                = azurerm_resource_group.this.location
  resource_group_name     = azurerm_resource_group.this.name
  zone_redundancy_enabled = var.acr_zone_redundancy_enabled
  pull_principal_ids = {
    app       = module.identity.principal_ids["app"]
    dashboard = module.identity.principal_ids["dashboard"]
  }
  tags = var.tags
}

module "key_vault" {
  #checkov:skip=CKV_AZURE_109:Without deployer_ip_ranges the vault's firewall stays open so the letsencrypt provider can write the certificate from wherever Terraform runs (addresses unknown in advance); RBAC still guards every call, and giving deployer_ip_ranges turns the firewall to Deny.
  source = "../../terraform/modules/key-vault"

  name                     = "kv-${var.name_prefix}-${local.suffix}"
  location                 = azurerm_resource_group.this.location
  resource_group_name      = azurerm_resource_group.this.name
  tenant_id                = data.azurerm_client_config.current.tenant_id
  purge_protection_enabled = var.key_vault_purge_protection_enabled
  network_acls = {
    default_action             = length(var.deployer_ip_ranges) > 0 ? "Deny" : "Allow"
    bypass                     = "AzureServices"
    ip_rules                   = var.deployer_ip_ranges
    virtual_network_subnet_ids = [module.network.app_gateway_subnet_id, module.network.aci_subnet_id]
  }
  private_endpoint = var.key_vault_private_endpoint_enabled ? {
    subnet_id           = module.network.private_endpoint_subnet_id
    private_dns_zone_id = module.private_dns.key_vault_zone_id
  } : null
  role_assignments = {
    # The gateway reads the listener certificate (its secret).
    gateway = {
      role_definition_name = "Key Vault Secrets User"
      principal_id         = module.identity.principal_ids["gateway"]
      principal_type       = "ServicePrincipal"
    }
    # The letsencrypt provider (running as whoever runs Terraform) creates and merges the
    # certificate and keeps its ACME account key as a secret.
    deployer_certificates = {
      role_definition_name = "Key Vault Certificates Officer"
      principal_id         = data.azurerm_client_config.current.object_id
      principal_type       = null
    }
    deployer_secrets = {
      role_definition_name = "Key Vault Secrets Officer"
      principal_id         = data.azurerm_client_config.current.object_id
      principal_type       = null
    }
  }
  tags = var.tags
}

# DNS-01 on the public zone for the letsencrypt provider.
resource "azurerm_role_assignment" "deployer_dns_zone" {
  count = var.deployer_dns_zone_role_enabled ? 1 : 0

  scope                = data.azurerm_dns_zone.public.id
  role_definition_name = "DNS Zone Contributor"
  principal_id         = data.azurerm_client_config.current.object_id
}

module "certificate" {
  source = "../../terraform/modules/certificate"
  count  = local.deploy_certificate ? 1 : 0

  key_vault_id              = module.key_vault.resource_id
  name                      = "wildcard-${replace(var.domain, ".", "-")}"
  common_name               = var.domain
  subject_alternative_names = ["*.${var.domain}"]
  dns_zone_id               = data.azurerm_dns_zone.public.id
  contact_email             = var.acme_email
  directory_url             = var.acme_directory_url
  key_type                  = "RSA"
  key_size                  = 2048
  tags                      = var.tags

  depends_on = [module.key_vault, azurerm_role_assignment.deployer_dns_zone]
}

module "sql" {
  source = "../../terraform/modules/sql"

  name                       = "sql-${var.name_prefix}-${local.suffix}"
  database_name              = var.name_prefix
  location                   = azurerm_resource_group.this.location
  resource_group_name        = azurerm_resource_group.this.name
  azuread_administrator      = local.sql_administrator
  private_endpoint_subnet_id = module.network.private_endpoint_subnet_id
  private_dns_zone_id        = module.private_dns.sql_zone_id
  auditing = {
    log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  }
  tags = var.tags
}

module "app" {
  source = "../../terraform/modules/app-container-group"
  count  = local.deploy_app_groups ? 1 : 0

  name_prefix           = "aci-${var.name_prefix}-app"
  instance_count        = var.app_instance_count
  location              = azurerm_resource_group.this.location
  resource_group_id     = azurerm_resource_group.this.id
  subnet_id             = module.network.aci_subnet_id
  identity              = module.identity.identities["app"]
  registry_login_server = module.acr.login_server
  images = {
    nginx = var.images.nginx
    web   = var.images.web
    api   = var.images.api
    agent = var.images.agent
  }
  # The API signs in to the Entra-only SQL server with the "sql" identity (SQL_MI_CLIENT_ID);
  # the agent keeps using the app identity.
  additional_identity_ids = [module.identity.resource_ids["sql"]]
  api_environment_variables = {
    SQL_ENGINE       = "sqlserver"
    SQL_SERVER_FQDN  = module.sql.fully_qualified_domain_name
    SQL_SERVER_DB    = module.sql.database_name
    SQL_AUTH         = "managed-identity"
    SQL_MI_CLIENT_ID = module.identity.client_ids["sql"]
  }
  dns_zone_id     = module.private_dns.app_zone_id
  dns_record_name = "app"
  dns_owner       = local.dns_owner
  certificate = {
    key_vault_id  = module.key_vault.resource_id
    key_vault_uri = module.key_vault.vault_uri
    name          = module.certificate[0].name
  }
  log_analytics_workspace_id  = azurerm_log_analytics_workspace.this.workspace_id
  log_analytics_workspace_key = azurerm_log_analytics_workspace.this.primary_shared_key
  tags                        = var.tags

  # The identity must be allowed to pull before the groups are created.
  depends_on = [module.acr]
}

module "dashboard" {
  source = "../../terraform/modules/dashboard-container-group"
  count  = local.deploy_app_groups ? 1 : 0

  name                  = "aci-${var.name_prefix}-dashboard"
  location              = azurerm_resource_group.this.location
  resource_group_id     = azurerm_resource_group.this.id
  subnet_id             = module.network.aci_subnet_id
  identity              = module.identity.identities["dashboard"]
  registry_login_server = module.acr.login_server
  images = {
    dashboard = var.images.dashboard
    agent     = var.images.agent
  }
  additional_identity_ids = [module.identity.resource_ids["sql"]]
  dashboard_environment_variables = {
    SQL_ENGINE       = "sqlserver"
    SQL_SERVER_FQDN  = module.sql.fully_qualified_domain_name
    SQL_SERVER_DB    = module.sql.database_name
    SQL_AUTH         = "managed-identity"
    SQL_MI_CLIENT_ID = module.identity.client_ids["sql"]
  }
  dns_zone_id                 = module.private_dns.app_zone_id
  dns_record_name             = "dashboard"
  dns_owner                   = local.dns_owner
  log_analytics_workspace_id  = azurerm_log_analytics_workspace.this.workspace_id
  log_analytics_workspace_key = azurerm_log_analytics_workspace.this.primary_shared_key
  tags                        = var.tags

  depends_on = [module.acr]
}

# The records exist as soon as apply finishes, and a restarted group's new IP shows as drift in
# the next plan; between plans the agents keep them current. Same owner: both may write.
module "app_dns" {
  source = "../../terraform/modules/dns-sync"
  count  = local.deploy_app_groups ? 1 : 0

  private_dns_zone_id = module.private_dns.app_zone_id
  name                = "app"
  container_group_ids = module.app[0].container_group_ids
  owner               = local.dns_owner
}

module "dashboard_dns" {
  source = "../../terraform/modules/dns-sync"
  count  = local.deploy_app_groups ? 1 : 0

  private_dns_zone_id = module.private_dns.app_zone_id
  name                = "dashboard"
  container_group_ids = [module.dashboard[0].container_group_id]
  owner               = local.dns_owner
}

module "app_gateway" {
  source = "../../terraform/modules/app-gateway"
  count  = local.deploy_gateway ? 1 : 0

  name                      = "agw-${var.name_prefix}"
  location                  = azurerm_resource_group.this.location
  resource_group_name       = azurerm_resource_group.this.name
  subnet_id                 = module.network.app_gateway_subnet_id
  sku_name                  = var.app_gateway_sku
  identity_id               = module.identity.resource_ids["gateway"]
  ssl_certificate_secret_id = module.certificate[0].versionless_secret_id
  listener_host_names       = [local.appgw_host_name]
  backend_fqdns             = [module.app[0].fqdn]
  domain_name_label         = "${var.name_prefix}-appgw-${local.suffix}"
  diagnostics = {
    log_analytics_workspace_id = azurerm_log_analytics_workspace.this.id
  }
  tags = var.tags

  # The gateway's identity must be able to read the certificate when the gateway is created.
  depends_on = [module.key_vault]
}

module "public_dns" {
  source = "../../terraform/modules/public-dns"
  count  = local.deploy_gateway ? 1 : 0

  zone_name           = data.azurerm_dns_zone.public.name
  resource_group_name = var.dns_zone_resource_group_name
  record_name         = "appgw"
  target = {
    type  = "CNAME"
    value = module.app_gateway[0].public_ip_fqdn
  }
  tags = var.tags
}
