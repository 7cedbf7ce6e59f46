locals {
  nsg_names = {
    app_gateway      = "nsg-${var.app_gateway_subnet_name}"
    aci              = "nsg-${var.aci_subnet_name}"
    private_endpoint = "nsg-${var.private_endpoint_subnet_name}"
  }

  # One entry per rule: which NSG it belongs to and its settings. Azure accepts a service tag
  # only in the singular *_address_prefix field, so a single source goes there.
  app_gateway_sources = var.app_gateway_inbound_source_address_prefixes

  app_gateway_rules = merge(
    {
      # Application Gateway v2 needs GatewayManager on 65200-65535 and the Azure load balancer's
      # probes; without them the gateway's provisioning fails.
      AllowGatewayManager = {
        priority                = 100
        protocol                = "Tcp"
        source_address_prefixes = ["GatewayManager"]
        destination_port_ranges = ["65200-65535"]
      }
      AllowAzureLoadBalancer = {
        priority                = 110
        protocol                = "*"
        source_address_prefixes = ["AzureLoadBalancer"]
        destination_port_ranges = ["*"]
      }
      AllowHttpsInbound = {
        priority                = 120
        protocol                = "Tcp"
        source_address_prefixes = local.app_gateway_sources
        destination_port_ranges = ["443"]
      }
    },
    var.app_gateway_http_inbound_enabled ? {
      AllowHttpInboundForRedirect = {
        priority                = 130
        protocol                = "Tcp"
        source_address_prefixes = local.app_gateway_sources
        destination_port_ranges = ["80"]
      }
    } : {}
  )

  aci_rules = merge(
    {
      AllowAppGatewayHttps = {
        priority                = 100
        protocol                = "Tcp"
        source_address_prefixes = [var.app_gateway_subnet_address_prefix]
        destination_port_ranges = ["443"]
      }
    },
    {
      for r in var.aci_inbound_rules : r.name => {
        priority                = r.priority
        protocol                = r.protocol
        source_address_prefixes = [r.source_address_prefix]
        destination_port_ranges = r.destination_port_ranges
      }
    }
  )

  # Private endpoints (SQL on 1433 and its redirect range 11000-11999, Key Vault on 443) take
  # traffic only from the container and gateway subnets; everything else from the network is denied.
  private_endpoint_rules = {
    AllowAciToSql = {
      priority                = 100
      protocol                = "Tcp"
      source_address_prefixes = [var.aci_subnet_address_prefix]
      destination_port_ranges = ["1433", "11000-11999"]
    }
    AllowHttpsToPrivateEndpoints = {
      priority                = 110
      protocol                = "Tcp"
      source_address_prefixes = [var.aci_subnet_address_prefix, var.app_gateway_subnet_address_prefix]
      destination_port_ranges = ["443"]
    }
  }

  security_rules = merge(
    { for k, r in local.app_gateway_rules : "app_gateway/${k}" => merge(r, { nsg = "app_gateway", name = k, access = "Allow" }) },
    { for k, r in local.aci_rules : "aci/${k}" => merge(r, { nsg = "aci", name = k, access = "Allow" }) },
    { for k, r in local.private_endpoint_rules : "private_endpoint/${k}" => merge(r, { nsg = "private_endpoint", name = k, access = "Allow" }) },
    {
      "private_endpoint/DenyVnetInbound" = {
        nsg                     = "private_endpoint"
        name                    = "DenyVnetInbound"
        access                  = "Deny"
        priority                = 4000
        protocol                = "*"
        source_address_prefixes = ["VirtualNetwork"]
        destination_port_ranges = ["*"]
      }
    }
  )
}
