locals {
  waf            = var.sku_name == "WAF_v2"
  public_ip_name = var.public_ip_name == null ? "pip-${var.name}" : var.public_ip_name

  # Names of the gateway's sub-resources.
  frontend_ip_name     = "public"
  https_port_name      = "https"
  http_port_name       = "http"
  https_listener_name  = "https"
  http_listener_name   = "http"
  certificate_name     = "listener"
  backend_pool_name    = "app"
  backend_setting_name = "https"
  probe_name           = "healthcheck"
  redirect_name        = "http-to-https"

  listener_host_names = length(var.listener_host_names) > 0 ? var.listener_host_names : null
}
