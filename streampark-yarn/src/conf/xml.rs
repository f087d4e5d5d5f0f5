//! Hadoop `*-site.xml` parsing: `<configuration><property><name/><value/><final/></property>…`,
//! also the attribute form `<property name="…" value="…" final="true"/>` Hadoop accepts, and
//! `<xi:include href="…">` (with `<xi:fallback>`) as Hadoop's `Configuration` follows it: the
//! included file is another `<configuration>` whose properties take the include's place; a
//! relative `href` is resolved against the including file's directory; when the file cannot be
//! read, the `<xi:fallback>` content is used instead, and without a fallback loading fails.

use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::HadoopConfError;

/// One `<property>` as written in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawProperty {
    pub(crate) name: String,
    pub(crate) value: Option<String>,
    pub(crate) is_final: bool,
    /// 1-based line of the `<property>` element.
    pub(crate) line: usize,
    /// The file it is written in (an included file for properties from `<xi:include>`).
    pub(crate) file: PathBuf,
}

/// How deep `<xi:include>` may nest (a site file including a file that includes … ).
pub(crate) const MAX_INCLUDE_DEPTH: usize = 16;

/// Largest site file read (real ones are well under 1 MiB; a bigger one is a mistake or hostile).
pub(crate) const MAX_SITE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a site file's bytes could not be had: the read failed (an `<xi:fallback>` may stand
/// in), or the file is unusable (too large, not text in its declared encoding).
pub(crate) enum ReadFailure {
    Io(std::io::Error),
    Unusable(HadoopConfError),
}

/// Reads a site file as text: at most [`MAX_SITE_FILE_BYTES`]; UTF-8, or ISO-8859-1 when the
/// XML declaration says so (as Hadoop's StAX parser honours it). Anything else is a
/// [`HadoopConfError::Xml`] naming the first bad byte's line and column.
pub(crate) fn read_site_file(path: &Path) -> Result<String, ReadFailure> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ReadFailure::Io)?;
    let mut bytes = Vec::new();
    file.take(MAX_SITE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadFailure::Io)?;
    if bytes.len() as u64 > MAX_SITE_FILE_BYTES {
        return Err(ReadFailure::Unusable(HadoopConfError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_SITE_FILE_BYTES,
        }));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text)),
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            if declares_latin1(&bytes) {
                return Ok(bytes.iter().map(|&b| char::from(b)).collect());
            }
            let before = String::from_utf8_lossy(&bytes[..bad]);
            let (line, column) = line_of(&before, bad as u64);
            Err(ReadFailure::Unusable(HadoopConfError::Xml {
                file: path.to_path_buf(),
                line,
                column,
                reason: format!(
                    "not UTF-8 text (byte 0x{:02x}); declare encoding=\"ISO-8859-1\" or convert the file",
                    bytes[bad]
                ),
            }))
        }
    }
}

/// Whether the XML declaration names ISO-8859-1 / Latin-1 as the encoding.
fn declares_latin1(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(200)];
    let Some(end) = head.windows(2).position(|w| w == b"?>") else {
        return false;
    };
    let decl = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    decl.starts_with("<?xml")
        && ["iso-8859-1", "iso8859-1", "latin1", "latin-1"]
            .iter()
            .any(|enc| {
                decl.contains(&format!("encoding=\"{enc}\""))
                    || decl.contains(&format!("encoding='{enc}'"))
            })
}

/// Why an included file could not be read, and the read error.
type Unreadable = (String, Option<std::io::Error>);

/// An `<xi:include>` being read: where it sits in the element stack and whether its file could
/// be read (if not, its `<xi:fallback>` content is used).
struct IncludeFrame {
    /// Index of the `include` element in the element stack.
    at: usize,
    href: String,
    line: usize,
    /// Why the file could not be read (`None`: it was read and its properties taken).
    failure: Option<Unreadable>,
    fallback_seen: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Name,
    Value,
    Final,
}

fn line_of(text: &str, pos: u64) -> (usize, usize) {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    let before = text.get(..pos).unwrap_or(text);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

/// Line numbers of increasing positions in one pass over the text (calling [`line_of`] for
/// every property re-counted from the start: quadratic, minutes for a few MB).
struct Lines<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line of `pos`; positions must not decrease (an earlier one restarts).
    fn at(&mut self, pos: u64) -> usize {
        let pos = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if pos < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        let chunk = self.text.as_bytes().get(self.pos..pos).unwrap_or_default();
        self.line += chunk.iter().filter(|b| **b == b'\n').count();
        self.pos = pos;
        self.line
    }
}

fn malformed(path: &Path, text: &str, pos: u64, reason: impl Into<String>) -> HadoopConfError {
    let (line, column) = line_of(text, pos);
    HadoopConfError::Xml {
        file: path.to_path_buf(),
        line,
        column,
        reason: reason.into(),
    }
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Parses one Hadoop configuration file's text, following its `<xi:include>`s; `path` is the
/// file's path (for relative includes and error messages).
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<RawProperty>, HadoopConfError> {
    let mut chain = vec![canonical(path)];
    parse_in(text, path, &mut chain)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn include_error(
    path: &Path,
    line: usize,
    href: &str,
    reason: impl Into<String>,
    source: Option<std::io::Error>,
) -> HadoopConfError {
    HadoopConfError::Include {
        file: path.to_path_buf(),
        line,
        href: href.to_string(),
        reason: reason.into(),
        source,
    }
}

/// Reads and parses the file an `<xi:include href>` in `path` names. `Ok(Err(..))`: the file
/// cannot be read (a fallback may stand in); `Err`: the include is refused (cycle, depth) or the
/// included file is malformed.
fn include(
    href: &str,
    path: &Path,
    line: usize,
    chain: &mut Vec<PathBuf>,
) -> Result<Result<Vec<RawProperty>, Unreadable>, HadoopConfError> {
    let target = href.strip_prefix("file://").unwrap_or(href);
    let target = target.strip_prefix("file:").unwrap_or(target);
    if target.is_empty() {
        return Err(include_error(path, line, href, "empty href", None));
    }
    if target.contains("://") {
        return Err(include_error(
            path,
            line,
            href,
            "only local files can be included",
            None,
        ));
    }
    let file = match Path::new(target) {
        t if t.is_absolute() => t.to_path_buf(),
        t => path.parent().unwrap_or(Path::new(".")).join(t),
    };
    let text = match read_site_file(&file) {
        Ok(t) => t,
        Err(ReadFailure::Io(e)) => {
            return Ok(Err((
                format!("cannot read `{}`: {e}", file.display()),
                Some(e),
            )));
        }
        Err(ReadFailure::Unusable(e)) => return Err(e),
    };
    let key = canonical(&file);
    if chain.contains(&key) {
        let mut names: Vec<String> = chain.iter().map(|p| p.display().to_string()).collect();
        names.push(key.display().to_string());
        return Err(include_error(
            path,
            line,
            href,
            format!("include cycle: {}", names.join(" -> ")),
            None,
        ));
    }
    if chain.len() > MAX_INCLUDE_DEPTH {
        return Err(include_error(
            path,
            line,
            href,
            format!("more than {MAX_INCLUDE_DEPTH} nested includes"),
            None,
        ));
    }
    chain.push(key);
    let props = parse_in(&text, &file, chain);
    chain.pop();
    props.map(Ok)
}

fn attribute(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == key).then(|| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_default()
        })
    })
}

/// Whether a `<property>` (or `<xi:include>`) directly below the element stack `names` is
/// read: below the root, or below the `<xi:fallback>` of an include whose file was missing.
fn in_scope(names: &[String], includes: &[IncludeFrame]) -> bool {
    if names.len() == 1 {
        return true;
    }
    includes.last().is_some_and(|f| {
        f.failure.is_some()
            && names.len() == f.at + 2
            && names.last().is_some_and(|n| n == "fallback")
    })
}

fn parse_in(
    text: &str,
    path: &Path,
    chain: &mut Vec<PathBuf>,
) -> Result<Vec<RawProperty>, HadoopConfError> {
    let mut includes: Vec<IncludeFrame> = Vec::new();
    // Inside an include whose file was read: its children (a fallback) are skipped.
    let mut skip_below: Option<usize> = None;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut out = Vec::new();
    let mut depth_names: Vec<String> = Vec::new();
    let mut current: Option<RawProperty> = None;
    let mut field = Field::None;
    let mut buf = String::new();
    let mut saw_root = false;
    let mut lines = Lines::new(text);
    loop {
        let before = reader.buffer_position();
        let ev = reader
            .read_event()
            .map_err(|e| malformed(path, text, reader.error_position(), e.to_string()))?;
        match ev {
            Event::Start(e) if skip_below.is_some() => {
                depth_names.push(e.local_name().as_ref().to_string());
            }
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "include" && current.is_none() && in_scope(&depth_names, &includes) {
                    let line = lines.at(before);
                    let href = attribute(&e, "href").unwrap_or_default();
                    let failure = match include(&href, path, line, chain)? {
                        Ok(props) => {
                            out.extend(props);
                            skip_below = Some(depth_names.len());
                            None
                        }
                        Err(f) => Some(f),
                    };
                    includes.push(IncludeFrame {
                        at: depth_names.len(),
                        href,
                        line,
                        failure,
                        fallback_seen: false,
                    });
                } else if name == "fallback"
                    && let Some(f) = includes.last_mut()
                    && depth_names.len() == f.at + 1
                {
                    f.fallback_seen = true;
                } else if depth_names.is_empty() {
                    if name != "configuration" {
                        return Err(malformed(
                            path,
                            text,
                            before,
                            format!("root element is <{name}>, expected <configuration>"),
                        ));
                    }
                    saw_root = true;
                } else if name == "property" && in_scope(&depth_names, &includes) {
                    current = Some(from_attributes(&e, lines.at(before), path, text, before)?);
                } else if current.is_some() {
                    field = match name.as_str() {
                        "name" => Field::Name,
                        "value" => Field::Value,
                        "final" => Field::Final,
                        _ => Field::None,
                    };
                    buf.clear();
                }
                depth_names.push(name);
            }
            Event::Empty(_) if skip_below.is_some() => {}
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                if depth_names.is_empty() && name == "configuration" {
                    saw_root = true;
                } else if name == "fallback"
                    && let Some(f) = includes.last_mut()
                    && depth_names.len() == f.at + 1
                {
                    f.fallback_seen = true;
                } else if name == "include"
                    && current.is_none()
                    && in_scope(&depth_names, &includes)
                {
                    // No room for a fallback: the file must be readable.
                    let line = lines.at(before);
                    let href = attribute(&e, "href").unwrap_or_default();
                    match include(&href, path, line, chain)? {
                        Ok(props) => out.extend(props),
                        Err((reason, source)) => {
                            return Err(include_error(
                                path,
                                line,
                                &href,
                                format!("{reason} and there is no <xi:fallback>"),
                                source,
                            ));
                        }
                    }
                } else if name == "property" && in_scope(&depth_names, &includes) {
                    let p = from_attributes(&e, lines.at(before), path, text, before)?;
                    push(&mut out, p, path, text, before)?;
                } else if let Some(p) = current.as_mut() {
                    // <value/> is an empty value.
                    if name == "value" {
                        p.value = Some(String::new());
                    }
                }
            }
            Event::End(_) => {
                let name = depth_names.pop().unwrap_or_default();
                if skip_below.is_some_and(|d| depth_names.len() > d) {
                    continue;
                }
                if let Some(f) = includes.last()
                    && f.at == depth_names.len()
                    && name == "include"
                {
                    skip_below = None;
                    if let Some(f) = includes.pop()
                        && let Some((reason, source)) = f.failure
                        && !f.fallback_seen
                    {
                        return Err(include_error(
                            path,
                            f.line,
                            &f.href,
                            format!("{reason} and there is no <xi:fallback>"),
                            source,
                        ));
                    }
                    continue;
                }
                if let Some(p) = current.as_mut() {
                    match (field, name.as_str()) {
                        (Field::Name, "name") => p.name = buf.trim().to_string(),
                        (Field::Value, "value") => p.value = Some(buf.clone()),
                        (Field::Final, "final") => p.is_final = buf.trim() == "true",
                        _ => {}
                    }
                    if name == "property"
                        && in_scope(&depth_names, &includes)
                        && let Some(p) = current.take()
                    {
                        push(&mut out, p, path, text, before)?;
                    }
                }
                field = Field::None;
            }
            Event::Text(t) if field != Field::None => {
                buf.push_str(&t.xml10_content());
            }
            Event::CData(t) if field != Field::None => {
                buf.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if field != Field::None => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => entity(&r.xml10_content()),
                    Err(_) => None,
                };
                match c {
                    Some(c) => buf.push(c),
                    None => {
                        return Err(malformed(
                            path,
                            text,
                            before,
                            format!("unknown entity `&{};`", r.xml10_content()),
                        ));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !depth_names.is_empty() {
        return Err(malformed(
            path,
            text,
            text.len() as u64,
            format!(
                "unclosed <{}>",
                depth_names.last().map_or("", String::as_str)
            ),
        ));
    }
    if !saw_root && !text.trim().is_empty() {
        return Err(malformed(path, text, 0, "no <configuration> element"));
    }
    Ok(out)
}

fn push(
    out: &mut Vec<RawProperty>,
    p: RawProperty,
    path: &Path,
    text: &str,
    pos: u64,
) -> Result<(), HadoopConfError> {
    if p.name.is_empty() {
        return Err(malformed(path, text, pos, "<property> without a <name>"));
    }
    out.push(p);
    Ok(())
}

fn from_attributes(
    e: &BytesStart<'_>,
    line: usize,
    path: &Path,
    text: &str,
    pos: u64,
) -> Result<RawProperty, HadoopConfError> {
    let mut p = RawProperty {
        name: String::new(),
        value: None,
        is_final: false,
        line,
        file: path.to_path_buf(),
    };
    for a in e.attributes() {
        let a = a.map_err(|err| malformed(path, text, pos, err.to_string()))?;
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| malformed(path, text, pos, err.to_string()))?
            .into_owned();
        match a.key.local_name().as_ref() {
            "name" => p.name = v.trim().to_string(),
            "value" => p.value = Some(v),
            "final" => p.is_final = v.trim() == "true",
            _ => {}
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_elements_attributes_entities_and_cdata() {
        let xml = r#"<?xml version="1.0"?>
<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>
<!-- comment -->
<configuration>
  <property>
    <name> fs.defaultFS </name>
    <value>hdfs://nn1:8020</value>
    <description>the FS</description>
  </property>
  <property><name>a.b</name><value>x &amp; y &#65;</value><final>true</final></property>
  <property><name>c</name><value><![CDATA[<raw>]]></value></property>
  <property name="d" value="attr" final="true"/>
  <property><name>e</name><value/></property>
</configuration>
"#;
        let props = parse(xml, Path::new("core-site.xml")).unwrap();
        let by = |n: &str| props.iter().find(|p| p.name == n).unwrap().clone();
        assert_eq!(by("fs.defaultFS").value.as_deref(), Some("hdfs://nn1:8020"));
        assert_eq!(by("fs.defaultFS").line, 5);
        assert_eq!(by("a.b").value.as_deref(), Some("x & y A"));
        assert!(by("a.b").is_final && !by("fs.defaultFS").is_final);
        assert_eq!(by("c").value.as_deref(), Some("<raw>"));
        assert!(by("d").is_final);
        assert_eq!(by("d").value.as_deref(), Some("attr"));
        assert_eq!(by("e").value.as_deref(), Some(""));
    }

    #[test]
    fn every_property_knows_its_line_in_a_long_file() {
        let mut text = String::from("<?xml version=\"1.0\"?>\n<configuration>\n");
        for i in 0..2000 {
            // Two lines per property, a comment line every tenth.
            if i % 10 == 0 {
                text.push_str("<!-- group -->\n");
            }
            text.push_str(&format!(
                "<property><name>k{i}</name>\n<value>v</value></property>\n"
            ));
        }
        text.push_str("</configuration>\n");
        let props = parse(&text, Path::new("big-site.xml")).unwrap();
        assert_eq!(props.len(), 2000);
        for (i, p) in props.iter().enumerate() {
            let expected = 3 + 2 * i + i / 10 + 1;
            assert_eq!(p.line, expected, "k{i}");
        }
    }

    #[test]
    fn malformed_xml_names_file_and_line() {
        let xml = "<configuration>\n  <property>\n    <name>a</name>\n    <value>1</vlue>\n  </property>\n</configuration>\n";
        let e = parse(xml, Path::new("/etc/hadoop/conf/yarn-site.xml")).unwrap_err();
        let HadoopConfError::Xml { file, line, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(file, Path::new("/etc/hadoop/conf/yarn-site.xml"));
        assert_eq!(*line, 4, "{e}");
        assert!(e.to_string().contains("yarn-site.xml:4:"), "{e}");

        let e = parse("<configuration>\n<property>\n", Path::new("x.xml")).unwrap_err();
        assert!(matches!(e, HadoopConfError::Xml { .. }), "{e:?}");
        let e = parse("<conf></conf>", Path::new("x.xml")).unwrap_err();
        assert!(e.to_string().contains("expected <configuration>"), "{e}");
        let e = parse(
            "<configuration><property><value>1</value></property></configuration>",
            Path::new("x.xml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("without a <name>"), "{e}");
        let e = parse("<configuration><property><name>a</name><value>&nope;</value></property></configuration>", Path::new("x.xml")).unwrap_err();
        assert!(e.to_string().contains("&nope;"), "{e}");
    }
}
