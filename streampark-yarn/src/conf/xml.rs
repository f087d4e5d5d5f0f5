//! Hadoop `*-site.xml` parsing: `<configuration><property><name/><value/><final/></property>…`,
//! also the attribute form `<property name="…" value="…" final="true"/>` Hadoop accepts.

use std::path::Path;

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

/// Parses one Hadoop configuration file's text; `path` is for error messages.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<RawProperty>, HadoopConfError> {
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
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if depth_names.is_empty() {
                    if name != "configuration" {
                        return Err(malformed(
                            path,
                            text,
                            before,
                            format!("root element is <{name}>, expected <configuration>"),
                        ));
                    }
                    saw_root = true;
                } else if name == "property" && depth_names.len() == 1 {
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
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                if depth_names.is_empty() && name == "configuration" {
                    saw_root = true;
                } else if name == "property" && depth_names.len() == 1 {
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
                if let Some(p) = current.as_mut() {
                    match (field, name.as_str()) {
                        (Field::Name, "name") => p.name = buf.trim().to_string(),
                        (Field::Value, "value") => p.value = Some(buf.clone()),
                        (Field::Final, "final") => p.is_final = buf.trim() == "true",
                        _ => {}
                    }
                    if name == "property"
                        && depth_names.len() == 1
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
