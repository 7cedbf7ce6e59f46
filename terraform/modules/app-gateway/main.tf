resource "azurerm_public_ip" "this" {
  name                = local.public_ip_name
  location            = var.location
  resource_group_name = var.resource_group_name
  sku                 = "Standard"
  allocation_method   = "Static"
  zones               = var.zones
  domain_name_label   = var.domain_name_label
  tags                = var.tags
}

resource "azurerm_web_application_firewall_policy" "this" {
  #checkov:skip=CKV_AZURE_135:The default rule set is Microsoft_DefaultRuleSet 2.1, Microsoft's recommended set, which includes the Log4j (CVE-2021-44228) rules such as 944240; this check only recognises OWASP 3.1/3.2 (also selectable).
  count = local.waf ? 1 : 0

  name                = "waf-${var.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = var.tags

  policy_settings {
    enabled                     = true
    mode                        = var.waf_mode
    request_body_check          = true
    max_request_body_size_in_kb = 128
    file_upload_limit_in_mb     = 100
  }

  managed_rules {
    managed_rule_set {
      type    = var.waf_managed_rule_set.type
      version = var.waf_managed_rule_set.version
    }
  }
}

resource "azurerm_application_gateway" "this" {
  #checkov:skip=CKV_AZURE_120:WAF is opt-in (sku_name = "WAF_v2" creates a policy in Prevention mode); the sample's default is Standard_v2, as the architecture specifies.
  #checkov:skip=CKV_AZURE_217:The HTTP listener only redirects to HTTPS (permanent redirect, http_redirect_enabled); no backend is reachable over HTTP.
  name                              = var.name
  location                          = var.location
  resource_group_name               = var.resource_group_name
  zones                             = var.zones
  firewall_policy_id                = local.waf ? azurerm_web_application_firewall_policy.this[0].id : null
  force_firewall_policy_association = local.waf ? true : null
  tags                              = var.tags

  sku {
    name = var.sku_name
    tier = var.sku_name
  }

  autoscale_configuration {
    min_capacity = var.autoscale.min_capacity
    max_capacity = var.autoscale.max_capacity
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [var.identity_id]
  }

  gateway_ip_configuration {
    name      = "gateway"
    subnet_id = var.subnet_id
  }

  frontend_ip_configuration {
    name                 = local.frontend_ip_name
    public_ip_address_id = azurerm_public_ip.this.id
  }

  frontend_port {
    name = local.https_port_name
    port = 443
  }

  dynamic "frontend_port" {
    for_each = var.http_redirect_enabled ? [80] : []
    content {
      name = local.http_port_name
      port = frontend_port.value
    }
  }

  ssl_policy {
    policy_type = "Predefined"
    policy_name = var.ssl_policy_name
  }

  # Versionless secret id: the gateway polls Key Vault and picks up renewed versions itself.
  ssl_certificate {
    name                = local.certificate_name
    key_vault_secret_id = var.ssl_certificate_secret_id
  }

  http_listener {
    name                           = local.https_listener_name
    frontend_ip_configuration_name = local.frontend_ip_name
    frontend_port_name             = local.https_port_name
    protocol                       = "Https"
    ssl_certificate_name           = local.certificate_name
    host_names                     = local.listener_host_names
    require_sni                    = local.listener_host_names != null
  }

  dynamic "http_listener" {
    for_each = var.http_redirect_enabled ? [local.http_listener_name] : []
    content {
      name                           = http_listener.value
      frontend_ip_configuration_name = local.frontend_ip_name
      frontend_port_name             = local.http_port_name
      protocol                       = "Http"
      host_names                     = local.listener_host_names
    }
  }

  dynamic "redirect_configuration" {
    for_each = var.http_redirect_enabled ? [local.redirect_name] : []
    content {
      name                 = redirect_configuration.value
      redirect_type        = "Permanent"
      target_listener_name = local.https_listener_name
      include_path         = true
      include_query_string = true
    }
  }

  # End-to-end TLS: the backends are the app groups' private name (Private DNS), reached on 443
  # with that name as host header and SNI, so nginx's certificate must match it.
  backend_address_pool {
    name  = local.backend_pool_name
    fqdns = var.backend_fqdns
  }

  dynamic "trusted_root_certificate" {
    for_each = var.backend_trusted_root_certificates
    content {
      name = trusted_root_certificate.key
      data = trusted_root_certificate.value
    }
  }

  backend_http_settings {
    name                                = local.backend_setting_name
    protocol                            = "Https"
    port                                = var.backend_port
    cookie_based_affinity               = "Disabled"
    request_timeout                     = 30
    pick_host_name_from_backend_address = true
    probe_name                          = local.probe_name
    trusted_root_certificate_names      = length(var.backend_trusted_root_certificates) > 0 ? keys(var.backend_trusted_root_certificates) : null
  }

  probe {
    name                                      = local.probe_name
    protocol                                  = "Https"
    path                                      = var.health_probe.path
    interval                                  = var.health_probe.interval
    timeout                                   = var.health_probe.timeout
    unhealthy_threshold                       = var.health_probe.unhealthy_threshold
    pick_host_name_from_backend_http_settings = true

    match {
      status_code = ["200-399"]
    }
  }

  request_routing_rule {
    name                       = local.https_listener_name
    priority                   = 100
    rule_type                  = "Basic"
    http_listener_name         = local.https_listener_name
    backend_address_pool_name  = local.backend_pool_name
    backend_http_settings_name = local.backend_setting_name
  }

  dynamic "request_routing_rule" {
    for_each = var.http_redirect_enabled ? [local.redirect_name] : []
    content {
      name                        = request_routing_rule.value
      priority                    = 200
      rule_type                   = "Basic"
      http_listener_name          = local.http_listener_name
      redirect_configuration_name = local.redirect_name
    }
  }
}

resource "azurerm_monitor_diagnostic_setting" "this" {
  count = var.diagnostics == null ? 0 : 1

  name                       = "logs-to-log-analytics"
  target_resource_id         = azurerm_application_gateway.this.id
  log_analytics_workspace_id = var.diagnostics.log_analytics_workspace_id

  enabled_log {
    category_group = "allLogs"
  }
}
