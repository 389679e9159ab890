//! A package read from disk, published through the configured registries,
//! found again and unpacked byte for byte: the registry's public face only.

use std::fs;
use torc_engine::manifest;
use torc_engine::registry::{archive, Registries};

const TORC_TOML: &str = r#"[module]
name = "torc-pid"
version = "1.0.3"

[dependencies]
torc-math = ">=0.3.0, <1.0.0"

[dev-dependencies]
torc-test = "^1.0"
"#;

#[test]
fn publish_find_and_unpack_a_package_from_disk() {
    let home = tempfile::tempdir().unwrap();
    fs::write(
        home.path().join("config.toml"),
        "[[registries]]\nname = \"public\"\nurl = \"https://registry.torc-lang.org\"\npriority = 100\n\n[[registries]]\nname = \"team\"\nurl = \"team\"\npriority = 200\n",
    )
    .unwrap();
    let registries = Registries::load_from(home.path()).unwrap();
    assert_eq!(registries.names(), ["team", "public"]);

    let package = tempfile::tempdir().unwrap();
    fs::write(package.path().join("torc.toml"), TORC_TOML).unwrap();
    fs::create_dir(package.path().join("src")).unwrap();
    fs::write(package.path().join("src/pid.trc"), "graph pid").unwrap();
    fs::write(package.path().join("torc.lock"), "not published").unwrap();
    let manifest = manifest::read(&manifest::manifest_path(package.path()).unwrap()).unwrap();

    let target = registries.target(None).unwrap();
    assert_eq!(target.root(), home.path().join("team"));
    let entry = target.publish(&manifest, package.path()).unwrap();
    let line = fs::read_to_string(home.path().join("team/index/torc-pid")).unwrap();
    assert_eq!(
        line,
        format!(
            "{{\"name\":\"torc-pid\",\"version\":\"1.0.3\",\"kind\":\"module\",\"dependencies\":[{{\"name\":\"torc-math\",\"req\":\">=0.3.0, <1.0.0\"}}],\"yanked\":false,\"blake3\":\"{}\"}}\n",
            entry.blake3
        )
    );

    let (registry, entries) = registries.lookup("torc-pid").unwrap().unwrap();
    assert_eq!((registry.name(), entries), ("team", vec![entry.clone()]));

    let out = tempfile::tempdir().unwrap();
    archive::unpack(&registry.blob(&entry.blake3).unwrap(), out.path(), "torc-pid").unwrap();
    assert_eq!(fs::read_to_string(out.path().join("torc.toml")).unwrap(), TORC_TOML);
    assert_eq!(fs::read_to_string(out.path().join("src/pid.trc")).unwrap(), "graph pid");
    assert!(!out.path().join("torc.lock").exists());
    // The unpacked copy packs to the same archive: same content, same hash.
    assert_eq!(archive::pack(out.path()).unwrap(), registry.blob(&entry.blake3).unwrap());
}
