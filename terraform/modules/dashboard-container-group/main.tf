resource "azurerm_container_group" "this" {
  #checkov:skip=CKV_AZURE_235:The plain environment variables are ids, names, ports and log levels the agent and dashboard need (no secrets); secrets go to secure_environment_variables.
  name                = var.name
  location            = var.location
  resource_group_name = local.resource_group_name
  os_type             = "Linux"
  sku                 = "Standard"
  restart_policy      = "Always"
  ip_address_type     = "Private"
  subnet_ids          = [var.subnet_id]
  # Only the dashboard's port is reachable on the group's address.
  exposed_port = [{ port = local.dashboard_port, protocol = "TCP" }]
  tags         = var.tags

  identity {
    type         = "UserAssigned"
    identity_ids = concat([var.identity.id], var.additional_identity_ids)
  }

  image_registry_credential {
    server                    = var.registry_login_server
    user_assigned_identity_id = var.identity.id
  }

  dns_config {
    nameservers = var.dns_servers
  }

  container {
    name                         = "dashboard"
    image                        = "${var.registry_login_server}/${var.images.dashboard}"
    cpu                          = var.container_resources.dashboard.cpu
    memory                       = var.container_resources.dashboard.memory
    environment_variables        = var.dashboard_environment_variables
    secure_environment_variables = var.dashboard_secure_environment_variables

    ports {
      port     = local.dashboard_port
      protocol = "TCP"
    }
  }

  container {
    name                  = "agent"
    image                 = "${var.registry_login_server}/${var.images.agent}"
    cpu                   = var.container_resources.agent.cpu
    memory                = var.container_resources.agent.memory
    environment_variables = local.agent_environment

    ports {
      port     = var.agent_health_port
      protocol = "TCP"
    }

    liveness_probe {
      initial_delay_seconds = 10
      period_seconds        = 15
      timeout_seconds       = 5
      failure_threshold     = 3

      http_get {
        path   = "/healthz"
        port   = var.agent_health_port
        scheme = "Http"
      }
    }

    readiness_probe {
      initial_delay_seconds = 5
      period_seconds        = 10
      timeout_seconds       = 5

      http_get {
        path   = "/readyz"
        port   = var.agent_health_port
        scheme = "Http"
      }
    }
  }

  dynamic "diagnostics" {
    for_each = var.log_analytics_workspace_id == null ? [] : [var.log_analytics_workspace_id]
    content {
      log_analytics {
        workspace_id  = diagnostics.value
        workspace_key = var.log_analytics_workspace_key
      }
    }
  }
}

# What the agent needs; it retries until the assignments have propagated.
resource "azurerm_role_assignment" "reader" {
  count = var.agent_role_assignments_enabled ? 1 : 0

  scope                = azurerm_container_group.this.id
  role_definition_name = "Reader"
  principal_id         = var.identity.principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_role_assignment" "dns" {
  count = var.agent_role_assignments_enabled ? 1 : 0

  scope                = var.dns_zone_id
  role_definition_name = "Private DNS Zone Contributor"
  principal_id         = var.identity.principal_id
  principal_type       = "ServicePrincipal"
}
