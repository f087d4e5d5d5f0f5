//! Fake Flink distributions on disk for tests: the directory layout, real zip jars with
//! manifests, configuration files and `bin/` scripts. Nothing in them runs Java.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes a real zip (jar) at `path` with the given entries, deflate-compressed.
///
/// # Errors
/// When the file cannot be written.
pub fn write_jar(path: &Path, entries: &[(&str, &[u8])]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let file = std::fs::File::create(path)?;
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, opts).map_err(std::io::Error::other)?;
        zip.write_all(data)?;
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

/// A Flink distribution layout to write into a directory.
///
/// ```
/// use streampark_core::testkit::FakeFlinkHome;
/// use streampark_core::flink_home::DetectOptions;
/// let dir = tempfile::tempdir()?;
/// let home = FakeFlinkHome::new(dir.path().join("flink-1.17.2"))
///     .with_dist("flink-dist-1.17.2.jar")
///     .with_lib_file("flink-scala_2.12-1.17.2.jar", 10)
///     .with_conf_file("flink-conf.yaml", "rest.port: 8081\n")
///     .write()?;
/// let h = streampark_core::FlinkHome::detect_with(&home, &DetectOptions::default().with_vendor_conf_dirs(vec![]))?;
/// assert_eq!(h.version().to_string(), "1.17.2");
/// assert_eq!(h.scala_version(), Some("2.12"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct FakeFlinkHome {
    home: PathBuf,
    dist: String,
    manifest_version: Option<String>,
    properties: Option<String>,
    conf: Vec<(String, String)>,
    lib: Vec<(String, usize)>,
    plugins: Vec<(String, usize)>,
    bin: Vec<(String, String)>,
}

impl FakeFlinkHome {
    /// A home at `home` with `lib/flink-dist-2.3.0.jar`, no configuration and no `bin/`.
    pub fn new(home: impl Into<PathBuf>) -> Self {
        FakeFlinkHome {
            home: home.into(),
            dist: "flink-dist-2.3.0.jar".into(),
            manifest_version: None,
            properties: None,
            conf: Vec::new(),
            lib: Vec::new(),
            plugins: Vec::new(),
            bin: Vec::new(),
        }
    }

    /// The dist jar's file name in `lib/`.
    pub fn with_dist(mut self, name: impl Into<String>) -> Self {
        self.dist = name.into();
        self
    }

    /// `Implementation-Version` in the dist jar's `META-INF/MANIFEST.MF` (default: none, the
    /// manifest then has only `Manifest-Version`).
    pub fn with_manifest_version(mut self, v: impl Into<String>) -> Self {
        self.manifest_version = Some(v.into());
        self
    }

    /// Contents of `.flink-runtime.version.properties` in the dist jar.
    pub fn with_version_properties(mut self, text: impl Into<String>) -> Self {
        self.properties = Some(text.into());
        self
    }

    /// A file in `<home>/conf/` (e.g. `config.yaml`).
    pub fn with_conf_file(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.conf.push((name.into(), text.into()));
        self
    }

    /// Another file in `lib/` of `size` bytes.
    pub fn with_lib_file(mut self, relative: impl Into<String>, size: usize) -> Self {
        self.lib.push((relative.into(), size));
        self
    }

    /// A file under `plugins/` (`metrics-jmx/x.jar`) of `size` bytes.
    pub fn with_plugin_file(mut self, relative: impl Into<String>, size: usize) -> Self {
        self.plugins.push((relative.into(), size));
        self
    }

    /// An executable script in `bin/` (Unix mode 0755).
    pub fn with_bin_script(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.bin.push((name.into(), text.into()));
        self
    }

    /// Writes the layout; returns the home directory.
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn write(self) -> std::io::Result<PathBuf> {
        let lib = self.home.join("lib");
        std::fs::create_dir_all(&lib)?;
        let mut manifest =
            String::from("Manifest-Version: 1.0\r\nCreated-By: streampark testkit\r\n");
        if let Some(v) = &self.manifest_version {
            manifest.push_str("Implementation-Title: Flink : Dist\r\n");
            manifest.push_str(&format!("Implementation-Version: {v}\r\n"));
        }
        manifest.push_str("\r\n");
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("META-INF/MANIFEST.MF", manifest.as_bytes()),
            ("org/apache/flink/Placeholder.class", b"\xca\xfe\xba\xbe"),
        ];
        if let Some(p) = &self.properties {
            entries.push((".flink-runtime.version.properties", p.as_bytes()));
        }
        write_jar(&lib.join(&self.dist), &entries)?;
        for (rel, size) in &self.lib {
            write_sized(&lib.join(rel), *size)?;
        }
        for (rel, size) in &self.plugins {
            write_sized(&self.home.join("plugins").join(rel), *size)?;
        }
        if !self.conf.is_empty() {
            let conf = self.home.join("conf");
            std::fs::create_dir_all(&conf)?;
            for (name, text) in &self.conf {
                std::fs::write(conf.join(name), text)?;
            }
        }
        for (name, text) in &self.bin {
            let p = self.home.join("bin").join(name);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&p, text)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))?;
            }
        }
        Ok(self.home)
    }
}

fn write_sized(path: &Path, size: usize) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, vec![b'x'; size])
}
