//! Where the Services that webhook configurations name are reached: a map to local addresses.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

/// A Service a webhook `clientConfig.service` can name, optionally with one port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceRef {
    /// Namespace of the Service.
    pub namespace: String,
    /// Name of the Service.
    pub name: String,
    /// The Service port, or `None` for every port.
    pub port: Option<u16>,
}

impl ServiceRef {
    /// Every port of the Service `namespace/name`.
    pub fn new(namespace: &str, name: &str) -> Self {
        Self {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            port: None,
        }
    }

    /// Only port `port` of the Service.
    #[must_use]
    pub fn with_port(self, port: u16) -> Self {
        Self {
            port: Some(port),
            ..self
        }
    }
}

/// Service references resolved to local addresses; cheap to clone, shared with the running server.
///
/// The embedded cluster runs no Pods or Endpoints, so a webhook's Service is found here instead:
/// `namespace/name:port` first, then `namespace/name` for any port.
#[derive(Debug, Clone, Default)]
pub struct ServiceRegistry {
    routes: Arc<RwLock<BTreeMap<ServiceRef, SocketAddr>>>,
}

impl ServiceRegistry {
    /// A registry holding `routes`.
    pub fn from_routes(routes: impl IntoIterator<Item = (ServiceRef, SocketAddr)>) -> Self {
        Self {
            routes: Arc::new(RwLock::new(routes.into_iter().collect())),
        }
    }

    /// Routes `service` to `addr`, replacing an earlier route.
    pub fn register(&self, service: ServiceRef, addr: SocketAddr) {
        self.routes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(service, addr);
    }

    /// Removes the route of `service`; returns where it pointed.
    pub fn unregister(&self, service: &ServiceRef) -> Option<SocketAddr> {
        self.routes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(service)
    }

    /// Where port `port` of the Service `namespace/name` is reached.
    pub fn resolve(&self, namespace: &str, name: &str, port: u16) -> Option<SocketAddr> {
        let routes = self.routes.read().unwrap_or_else(PoisonError::into_inner);
        let exact = ServiceRef::new(namespace, name).with_port(port);
        routes
            .get(&exact)
            .or_else(|| routes.get(&ServiceRef::new(namespace, name)))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_port_specific_route_wins_over_the_any_port_route() {
        let registry = ServiceRegistry::from_routes([
            (ServiceRef::new("ns", "hooks"), addr(1000)),
            (ServiceRef::new("ns", "hooks").with_port(8443), addr(2000)),
        ]);
        assert_eq!(registry.resolve("ns", "hooks", 8443), Some(addr(2000)));
        assert_eq!(registry.resolve("ns", "hooks", 443), Some(addr(1000)));
        assert_eq!(registry.resolve("other", "hooks", 443), None);
    }

    #[test]
    fn clones_share_routes_registered_later() {
        let registry = ServiceRegistry::default();
        let seen_by_server = registry.clone();
        registry.register(ServiceRef::new("ns", "hooks"), addr(1000));
        assert_eq!(seen_by_server.resolve("ns", "hooks", 443), Some(addr(1000)));
        assert_eq!(
            registry.unregister(&ServiceRef::new("ns", "hooks")),
            Some(addr(1000))
        );
        assert_eq!(seen_by_server.resolve("ns", "hooks", 443), None);
    }
}
