//! Rendering a module's chart with its live values, as upstream's debug `module render` does:
//! release name = module name, the operator's namespace (`default` when unset), an upgrade
//! render, and the release manifest (Helm hooks are not part of it).

use helm_render::RenderOptions;

use crate::discovery::ModuleDef;
use crate::module_set::ModuleSet;
use crate::values::to_float64;

/// The options upstream's render uses: the values go through a YAML file there, so every
/// number reaches Helm as a float64.
pub fn render_options(set: &ModuleSet, module: &ModuleDef, namespace: &str) -> RenderOptions {
    RenderOptions {
        release_name: module.name.clone(),
        namespace: if namespace.is_empty() {
            "default".to_owned()
        } else {
            namespace.to_owned()
        },
        values: to_float64(&set.helm_values(module)),
        is_upgrade: true,
        ..RenderOptions::default()
    }
}
