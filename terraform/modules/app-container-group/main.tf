resource "azurerm_container_group" "this" {
  #checkov:skip=CKV_AZURE_235:The plain environment variables are ids, names, ports and log levels the agent and apps need (no secrets); secrets go to secure_environment_variables.
  count = var.instance_count

  name                = local.group_names[count.index]
  location            = var.location
  resource_group_name = local.resource_group_name
  os_type             = "Linux"
  sku                 = "Standard"
  restart_policy      = "Always"
  ip_address_type     = "Private"
  subnet_ids          = [var.subnet_id]
  # Only nginx's TLS port is reachable on the group's address; web, API and the agent's health
  # endpoint stay inside the group.
  exposed_port = [{ port = 443, protocol = "TCP" }]
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
    name     = "nginx"
    image    = "${var.registry_login_server}/${var.images.nginx}"
    cpu      = var.container_resources.nginx.cpu
    memory   = var.container_resources.nginx.memory
    commands = ["nginx", "-c", "${local.nginx_config_dir}/nginx.conf"]

    ports {
      port     = 443
      protocol = "TCP"
    }

    volume {
      name       = "certs"
      mount_path = var.cert_dir
      read_only  = true
      empty_dir  = true
    }

    volume {
      name       = "nginx-config"
      mount_path = local.nginx_config_dir
      read_only  = true
      secret = {
        "nginx.conf" = base64encode(local.nginx_config)
      }
    }
  }

  container {
    name                  = "web"
    image                 = "${var.registry_login_server}/${var.images.web}"
    cpu                   = var.container_resources.web.cpu
    memory                = var.container_resources.web.memory
    environment_variables = local.web_environment

    ports {
      port     = local.web_port
      protocol = "TCP"
    }
  }

  container {
    name                         = "api"
    image                        = "${var.registry_login_server}/${var.images.api}"
    cpu                          = var.container_resources.api.cpu
    memory                       = var.container_resources.api.memory
    environment_variables        = var.api_environment_variables
    secure_environment_variables = var.api_secure_environment_variables

    ports {
      port     = local.api_port
      protocol = "TCP"
    }
  }

  container {
    name   = "agent"
    image  = "${var.registry_login_server}/${var.images.agent}"
    cpu    = var.container_resources.agent.cpu
    memory = var.container_resources.agent.memory
    environment_variables = merge(local.agent_environment, {
      ACILAB_CONTAINER_GROUP_ID = local.group_ids[count.index]
    })

    ports {
      port     = var.agent_health_port
      protocol = "TCP"
    }

    volume {
      name       = "certs"
      mount_path = var.cert_dir
      read_only  = false
      empty_dir  = true
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
  count = var.agent_role_assignments_enabled ? var.instance_count : 0

  scope                = azurerm_container_group.this[count.index].id
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

resource "azurerm_role_assignment" "certificate" {
  count = var.agent_role_assignments_enabled ? 1 : 0

  scope                = var.certificate.key_vault_id
  role_definition_name = "Key Vault Certificate User"
  principal_id         = var.identity.principal_id
  principal_type       = "ServicePrincipal"
}
