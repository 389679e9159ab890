//! Hardening of what Torc reads and writes, through the real binary: links
//! planted in a registry, `TORC_HOME` or a project never make Torc write
//! outside; a killed or concurrent first publish leaves a usable registry;
//! secrets are never printed; error excerpts come from the parsed text,
//! never from the file opened again; archives are read within caps.
//!
//! The sandbox is the one of `project_cli.rs` (a fresh `TORC_HOME`, a work
//! directory), with a bounded wait for the runs that used to hang.

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

struct Sandbox {
    home: TempDir,
    work: TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().expect("torc exited normally"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            home: TempDir::new().unwrap(),
            work: TempDir::new().unwrap(),
        }
    }

    fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_torc"));
        command
            .args(args)
            .current_dir(cwd)
            .env("TORC_HOME", self.home.path())
            .env_remove("HOME");
        command
    }

    fn torc(&self, cwd: &Path, args: &[&str]) -> Run {
        self.command(cwd, args).output().expect("torc runs").into()
    }

    fn ok(&self, cwd: &Path, args: &[&str]) -> Run {
        let run = self.torc(cwd, args);
        assert_eq!(
            run.code, 0,
            "torc {args:?} failed:\n{}{}",
            run.stdout, run.stderr
        );
        run
    }

    fn dir(&self, name: &str) -> PathBuf {
        let dir = self.work.path().join(name);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn module(&self, name: &str, version: &str, dependencies: &[(&str, &str)]) -> PathBuf {
        let dir = self.dir(&format!("{name}-{version}"));
        fs::write(
            dir.join("torc.toml"),
            module_manifest(name, version, dependencies),
        )
        .unwrap();
        dir
    }

    fn publish(&self, name: &str, version: &str) -> Run {
        let dir = self.module(name, version, &[]);
        self.torc(
            self.work.path(),
            &["publish", "--manifest-path", dir.to_str().unwrap()],
        )
    }

    fn app(&self, dependencies: &[(&str, &str)]) -> PathBuf {
        let dir = self.dir("app");
        fs::write(
            dir.join("torc.toml"),
            module_manifest("app", "1.0.0", dependencies),
        )
        .unwrap();
        dir
    }

    fn registry(&self) -> PathBuf {
        self.home.path().join("registry")
    }
}

fn module_manifest(name: &str, version: &str, dependencies: &[(&str, &str)]) -> String {
    let mut text = format!(
        "[module]\nname = \"{name}\"\nversion = \"{version}\"\n\n[module.interfaces]\ninputs = [{{ name = \"x\", type = \"Float<32>\", contract = \"finite(value)\" }}]\noutputs = [{{ name = \"y\", type = \"Float<32>\" }}]\n\n[dependencies]\n"
    );
    for (dependency, requirement) in dependencies {
        text.push_str(&format!("{dependency} = \"{requirement}\"\n"));
    }
    text
}

/// Waits for `child` at most `limit`, then kills it and fails the test: a
/// guard against a hang, not a measurement.
fn wait_bounded(mut child: Child, limit: Duration) -> Run {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap().into();
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("torc did not finish within {limit:?}; it was killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Replaces the directory `path` by a link to `target`.
fn replace_with_link(path: &Path, target: &Path) {
    fs::rename(path, path.with_extension("moved")).unwrap();
    symlink(target, path).unwrap();
}

// ---- item 4: no write follows a planted link ----

#[test]
fn a_link_at_blobs_in_a_registry_is_refused_and_nothing_is_written_outside() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish("seed", "1.0.0").code, 0);
    let outside = TempDir::new().unwrap();
    replace_with_link(&sandbox.registry().join("blobs"), outside.path());

    let run = sandbox.publish("mylib", "1.0.0");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(
        names(outside.path()).is_empty(),
        "written outside: {:?}",
        names(outside.path())
    );
}

#[test]
fn a_link_at_index_in_a_registry_is_refused_and_nothing_is_written_outside() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish("seed", "1.0.0").code, 0);
    let outside = TempDir::new().unwrap();
    replace_with_link(&sandbox.registry().join("index"), outside.path());

    let run = sandbox.publish("mylib", "1.0.0");
    assert_ne!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        names(outside.path()).is_empty(),
        "written outside: {:?}",
        names(outside.path())
    );
}

#[test]
fn a_link_at_an_index_file_is_neither_read_nor_written_through() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish("seed", "1.0.0").code, 0);
    let outside = TempDir::new().unwrap();
    let target = outside.path().join("passwd");
    fs::write(&target, "").unwrap();
    symlink(&target, sandbox.registry().join("index/mylib")).unwrap();

    let run = sandbox.publish("mylib", "1.0.0");
    assert_eq!(run.code, 5, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        "",
        "the target is untouched"
    );
    assert!(fs::symlink_metadata(sandbox.registry().join("index/mylib"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_link_at_the_lock_file_of_a_registry_is_refused() {
    let sandbox = Sandbox::new();
    let outside = TempDir::new().unwrap();
    fs::create_dir_all(sandbox.registry()).unwrap();
    let target = outside.path().join("created");
    symlink(&target, sandbox.registry().join(".lock")).unwrap();
    let run = sandbox.publish("mylib", "1.0.0");
    assert_eq!(run.code, 5, "{}{}", run.stdout, run.stderr);
    assert!(!target.exists(), "the link's target was created");
}

#[test]
fn a_link_at_target_in_a_project_is_refused_by_build() {
    let sandbox = Sandbox::new();
    let app = sandbox.dir("limiter");
    write_limiter(&app);
    let outside = TempDir::new().unwrap();
    symlink(outside.path(), app.join("target")).unwrap();
    let run = sandbox.torc(&app, &["build"]);
    assert_eq!(run.code, 5, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert!(
        names(outside.path()).is_empty(),
        "written outside: {:?}",
        names(outside.path())
    );
}

/// A module whose obligation is proved by a lemma of the shipped
/// `torc-arithmetic-proofs` library (as in `proofs_cli.rs`): verifying it
/// writes a lemma index into `<home>/lemmas/` and a proof into
/// `<home>/proofs/cache/`.
fn write_limiter(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    fs::write(
        dir.join("torc.toml"),
        "[module]\nname = \"limiter\"\nversion = \"1.0.0\"\n\n[module.interfaces]\ninputs = [\n    \
         { name = \"x\", type = \"Float<32>\", contract = \"!is_nan(value)\" },\n    \
         { name = \"lo\", type = \"Float<32>\", contract = \"finite(value)\" },\n    \
         { name = \"hi\", type = \"Float<32>\", contract = \"finite(value) && lo <= value\" },\n]\n\
         outputs = [{ name = \"limited\", type = \"Float<32>\", contract = \"in_range(lo, hi)\" }]\n\n\
         [dependencies]\ntorc-arithmetic-proofs = \"^1\"\n",
    )
    .unwrap();
    let mut graph = String::new();
    for input in ["x", "lo", "hi"] {
        graph.push_str(&format!(
            "[[node]]\nname = \"{input}\"\nop = \"input\"\ntype = \"Float<32>\"\n\n"
        ));
    }
    graph.push_str("[[node]]\nname = \"clamp\"\nop = \"clamp\"\ntype = \"Float<32>\"\ncost = { stack = 16, heap = 0, wcet = 20 }\n\n");
    graph.push_str("[[node]]\nname = \"limited\"\nop = \"output\"\ntype = \"Float<32>\"\n\n");
    for (from, to) in [
        ("x", "clamp.x"),
        ("lo", "clamp.lo"),
        ("hi", "clamp.hi"),
        ("clamp", "limited.value"),
    ] {
        graph.push_str(&format!("[[edge]]\nfrom = \"{from}\"\nto = \"{to}\"\n\n"));
    }
    fs::write(dir.join("graph.toml"), graph).unwrap();
}

fn publish_arithmetic_proofs(sandbox: &Sandbox) {
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/torc-arithmetic-proofs");
    sandbox.ok(
        sandbox.work.path(),
        &["publish", "--manifest-path", library.to_str().unwrap()],
    );
}

#[test]
fn links_at_lemmas_or_proofs_in_torc_home_are_refused_by_verify() {
    for planted in ["lemmas", "proofs"] {
        let sandbox = Sandbox::new();
        publish_arithmetic_proofs(&sandbox);
        let app = sandbox.dir("limiter");
        write_limiter(&app);
        let outside = TempDir::new().unwrap();
        symlink(outside.path(), sandbox.home.path().join(planted)).unwrap();
        let run = sandbox.torc(&app, &["verify"]);
        assert_eq!(run.code, 5, "{planted}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("symbolic link"),
            "{planted}: {}",
            run.stderr
        );
        assert!(
            names(outside.path()).is_empty(),
            "{planted}: written outside: {:?}",
            names(outside.path())
        );
    }
}

// ---- item 5: a killed first publish leaves a usable registry ----

#[test]
fn a_registry_holding_only_leftovers_of_a_killed_first_publish_is_usable() {
    let sandbox = Sandbox::new();
    let registry = sandbox.registry();
    fs::create_dir_all(&registry).unwrap();
    // What a publish killed in its first milliseconds leaves: the lock, and
    // the temporary config (as the old writer named it, and as it is now).
    fs::write(registry.join(".lock"), "").unwrap();
    fs::write(registry.join(".config.json.4242.tmp"), "{\"form").unwrap();
    fs::write(registry.join(".config.json.Xy7Qa0bC3d.tmp"), "").unwrap();

    let app = sandbox.app(&[("mylib", "^1")]);
    let run = sandbox.torc(&app, &["tree"]);
    assert!(!run.stderr.contains("not empty"), "{}", run.stderr);
    assert_eq!(run.code, 1, "no registry has mylib yet: {}", run.stderr);

    let run = sandbox.publish("mylib", "1.0.0");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        names(&registry),
        [".lock", "blobs", "config.json", "index"],
        "stale temporaries swept"
    );
    sandbox.ok(&app, &["tree"]);
}

/// `count` first publishes racing on a fresh registry; the exit codes and
/// stderr of each.
fn race(sandbox: &Sandbox, versions: &[String]) -> Vec<Run> {
    let dirs: Vec<PathBuf> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let dir = sandbox.dir(&format!("racer-{i}"));
            fs::write(dir.join("torc.toml"), module_manifest("mylib", v, &[])).unwrap();
            dir
        })
        .collect();
    let children: Vec<Child> = dirs
        .iter()
        .map(|dir| {
            sandbox
                .command(
                    sandbox.work.path(),
                    &["publish", "--manifest-path", dir.to_str().unwrap()],
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| wait_bounded(c, Duration::from_secs(120)))
        .collect()
}

#[test]
fn concurrent_first_publishes_of_one_version_one_succeeds_the_others_are_already_published() {
    let sandbox = Sandbox::new();
    let runs = race(&sandbox, &vec!["1.0.0".to_owned(); 8]);
    let succeeded = runs.iter().filter(|r| r.code == 0).count();
    assert_eq!(
        succeeded,
        1,
        "{:?}",
        runs.iter().map(|r| (r.code, &r.stderr)).collect::<Vec<_>>()
    );
    for run in runs.iter().filter(|r| r.code != 0) {
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert!(run.stderr.contains("already published"), "{}", run.stderr);
    }
}

#[test]
fn concurrent_first_publishes_of_different_versions_all_succeed() {
    let sandbox = Sandbox::new();
    let versions: Vec<String> = (0..8).map(|i| format!("1.{i}.0")).collect();
    let runs = race(&sandbox, &versions);
    for run in &runs {
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
    let index = fs::read_to_string(sandbox.registry().join("index/mylib")).unwrap();
    assert_eq!(index.lines().count(), 8, "{index}");
}

// ---- item 10: secrets stay secret ----

#[test]
fn a_malformed_auth_line_is_not_shown() {
    let sandbox = Sandbox::new();
    fs::write(
        sandbox.home.path().join("config.toml"),
        "[[registries]]\nname = \"local\"\nurl = \"registry\"\nauth = \"s3cret-token-42\n",
    )
    .unwrap();
    let app = sandbox.app(&[]);
    let run = sandbox.torc(&app, &["tree"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("config.toml:4"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    assert!(run.stderr.contains("<redacted>"), "{}", run.stderr);
}

#[test]
fn a_password_in_a_registry_url_is_not_shown() {
    let sandbox = Sandbox::new();
    fs::write(
        sandbox.home.path().join("config.toml"),
        "[[registries]]\nname = \"company\"\nurl = \"https://ada:hunter2@registry.example.org/torc\"\n",
    )
    .unwrap();
    let run = sandbox.publish("mylib", "1.0.0");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("https://<redacted>@registry.example.org/torc"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("hunter2") && !run.stderr.contains("ada:"),
        "{}",
        run.stderr
    );

    let app = sandbox.app(&[("mylib", "^1")]);
    let run = sandbox.torc(&app, &["tree"]);
    assert_ne!(run.code, 0);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
}

// ---- item 11: excerpts never re-read arbitrary files ----

#[test]
fn a_fifo_in_a_package_is_an_error_promptly() {
    let sandbox = Sandbox::new();
    let dir = sandbox.module("mylib", "1.0.0", &[]);
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let child = sandbox
        .command(
            sandbox.work.path(),
            &["publish", "--manifest-path", dir.to_str().unwrap()],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = wait_bounded(child, Duration::from_secs(20));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("pipe") && run.stderr.contains("FIFO"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_link_to_dev_zero_in_a_package_is_an_error_promptly() {
    // The old renderer read the link's target for the excerpt: 2 GB of
    // zeros before it gave up.
    let sandbox = Sandbox::new();
    let dir = sandbox.module("mylib", "1.0.0", &[]);
    symlink("/dev/zero", dir.join("zero")).unwrap();
    let child = sandbox
        .command(sandbox.work.path(), &["publish", "--manifest-path", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = wait_bounded(child, Duration::from_secs(20));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("zero") && run.stderr.contains("symbolic link"), "{}", run.stderr);
}

#[test]
fn a_fifo_at_graph_toml_is_an_error_promptly() {
    let sandbox = Sandbox::new();
    let app = sandbox.dir("limiter");
    write_limiter(&app);
    fs::remove_file(app.join("graph.toml")).unwrap();
    assert!(Command::new("mkfifo").arg(app.join("graph.toml")).status().unwrap().success());
    let child = sandbox.command(&app, &["build"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let run = wait_bounded(child, Duration::from_secs(20));
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("graph.toml") && run.stderr.contains("FIFO"), "{}", run.stderr);
}

#[test]
fn a_linked_lock_does_not_show_its_target() {
    let sandbox = Sandbox::new();
    let app = sandbox.app(&[]);
    let outside = TempDir::new().unwrap();
    let target = outside.path().join("shadow");
    fs::write(&target, "root-password-hash = [not toml\n").unwrap();
    symlink(&target, app.join("torc.lock")).unwrap();
    let run = sandbox.torc(&app, &["tree"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(!run.stderr.contains("root-password-hash"), "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        "root-password-hash = [not toml\n"
    );
}

#[test]
fn a_manifest_error_still_shows_its_parsed_line() {
    // The excerpt shows what was parsed. A manifest error's excerpt is
    // still there (from the kept text), with the caret under the column.
    let sandbox = Sandbox::new();
    let app = sandbox.dir("app");
    fs::write(
        app.join("torc.toml"),
        "[module]\nname = \"app\"\nversion = \"one\"\n",
    )
    .unwrap();
    let run = sandbox.torc(&app, &["tree"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("3 | version = \"one\""),
        "{}",
        run.stderr
    );
}

// ---- item 7 (archive part): every entry and every archive is capped ----

/// Raw deflate with fixed Huffman codes: `prefix` as literals, then
/// `zeros` zero bytes as one literal and back-references of 258 at
/// distance 1 (13 bits per 258 bytes, so 1 GiB costs about 7 MB).
fn deflate_zeros(prefix: &[u8], zeros: u64) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            let reversed =
                (0..len).fold(0u64, |r, i| r | (((code >> i) & 1) as u64) << (len - 1 - i));
            self.put(reversed, len);
        }
        fn literal(&mut self, byte: u8) {
            if byte < 144 {
                self.code(0x30 + byte as u32, 8)
            } else {
                self.code(0x190 + (byte as u32 - 144), 9)
            }
        }
    }
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = fixed Huffman
    for &byte in prefix {
        bits.literal(byte);
    }
    bits.literal(0);
    let rest = zeros - 1;
    for _ in 0..rest / 258 {
        bits.code(0xC5, 8); // length 258 (symbol 285)
        bits.code(0, 5); // distance 1
    }
    for _ in 0..rest % 258 {
        bits.literal(0);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7);
    bits.out
}

/// A gzip'd tar whose only entry, `torc.toml`, inflates to 1 GiB (of
/// zeros): 7 MB on disk. The trailer's CRC is not computed; only a cap
/// can stop a reader before it.
fn manifest_bomb() -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_path("torc.toml").unwrap();
    header.set_size(1 << 30);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    gzip.extend(deflate_zeros(header.as_bytes(), (1 << 30) + 1024));
    gzip.extend([0u8; 8]);
    gzip
}

#[test]
fn a_blob_whose_manifest_inflates_to_a_gibibyte_is_refused_naming_the_package() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.publish("mylib", "1.0.0").code, 0);
    let registry = sandbox.registry();
    let index_path = registry.join("index/mylib");
    let index = fs::read_to_string(&index_path).unwrap();
    let line: serde_json::Value = serde_json::from_str(index.lines().next().unwrap()).unwrap();
    let old_hash = line["blake3"].as_str().unwrap().to_owned();

    let bomb = manifest_bomb();
    assert!(bomb.len() < 8 << 20, "{}", bomb.len());
    let new_hash = blake3::hash(&bomb).to_hex().to_string();
    let mut file = fs::File::create(registry.join("blobs").join(&new_hash)).unwrap();
    file.write_all(&bomb).unwrap();
    fs::write(&index_path, index.replace(&old_hash, &new_hash)).unwrap();

    let app = sandbox.app(&[("mylib", "^1")]);
    let run = sandbox.torc(&app, &["tree"]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("package mylib 1.0.0"), "{}", run.stderr);
    assert!(
        run.stderr.contains("torc.toml") && run.stderr.contains("16 MiB"),
        "{}",
        run.stderr
    );
}
