//! Extra jars for jar programs on a session cluster: a copy of the program jar with each extra
//! jar stored under `lib/`. Flink's `PackagedProgram` (every version) extracts `lib/*.jar`
//! entries of a program jar onto the program's class path and ships them with the job, whereas
//! `pipeline.jars`/`pipeline.classpaths` given to `POST /jars/:id/run` are overwritten by the
//! web submission.
//!
//! The program jar's entries are kept byte for byte: its local entries are copied, the new
//! entries are appended (stored, uncompressed), then its central directory is written again
//! followed by the new entries' records and a new end record.

/// The main class a jar's manifest names: `program-class` (which Flink's `PackagedProgram`
/// reads first), else `Main-Class`. `None` for a jar that cannot be read or names none.
pub(super) fn manifest_main_class(jar: &[u8]) -> Option<String> {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(jar)).ok()?;
    let mut text = String::new();
    zip.by_name("META-INF/MANIFEST.MF")
        .ok()?
        .take(1 << 20)
        .read_to_string(&mut text)
        .ok()?;
    // Manifest lines longer than 72 bytes continue on lines that start with one space.
    let mut joined: Vec<String> = Vec::new();
    for line in text.lines() {
        match (line.strip_prefix(' '), joined.last_mut()) {
            (Some(rest), Some(prev)) => prev.push_str(rest),
            _ => joined.push(line.to_string()),
        }
    }
    let value = |key: &str| {
        joined.iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim().eq_ignore_ascii_case(key) && !v.trim().is_empty())
                .then(|| v.trim().to_string())
        })
    };
    value("program-class").or_else(|| value("Main-Class"))
}

const LOCAL_HEADER: [u8; 4] = *b"PK\x03\x04";
const CENTRAL_HEADER: [u8; 4] = *b"PK\x01\x02";
const EOCD: [u8; 4] = *b"PK\x05\x06";
const EOCD_LEN: usize = 22;

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    let mut crc = !0u32;
    for &b in data {
        crc = table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

fn u16_at(b: &[u8], o: usize) -> usize {
    usize::from(u16::from_le_bytes([b[o], b[o + 1]]))
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// The program jar with `extras` (file name, bytes) added as `lib/<name>`.
///
/// # Errors
/// A reason when the program jar is not a plain zip this code can extend (zip64, prefixed
/// data, corrupt), or when the result would need zip64.
pub(super) fn with_libs(program: &[u8], extras: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    if program.len() < EOCD_LEN + 4 || program[..4] != LOCAL_HEADER {
        return Err("the program jar does not start with a zip entry".into());
    }
    let eocd = (0..=program.len() - EOCD_LEN)
        .rev()
        .take(EOCD_LEN + usize::from(u16::MAX))
        .find(|&i| {
            program[i..i + 4] == EOCD && i + EOCD_LEN + u16_at(program, i + 20) == program.len()
        })
        .ok_or("the program jar has no end-of-central-directory record")?;
    let entries = u16_at(program, eocd + 10);
    let cd_size = u32_at(program, eocd + 12);
    let cd_offset = u32_at(program, eocd + 16);
    if entries == usize::from(u16::MAX) || cd_size == u32::MAX || cd_offset == u32::MAX {
        return Err("zip64 program jars are not supported".into());
    }
    let (cd_start, cd_end) = (cd_offset as usize, cd_offset as usize + cd_size as usize);
    if cd_end > eocd || program.get(cd_start..cd_start + 4) != Some(&CENTRAL_HEADER[..]) {
        return Err("the program jar's central directory is corrupt".into());
    }
    let total = entries + extras.len();
    if total >= usize::from(u16::MAX) {
        return Err("too many entries for a plain zip".into());
    }
    let mut out =
        Vec::with_capacity(program.len() + extras.iter().map(|e| e.1.len() + 128).sum::<usize>());
    out.extend_from_slice(&program[..cd_start]);
    let mut central = Vec::new();
    for (i, (name, bytes)) in extras.iter().enumerate() {
        let name = format!("lib/streampark-{i}-{name}");
        let offset = u32::try_from(out.len()).map_err(|_| "the result would need zip64")?;
        let size = u32::try_from(bytes.len()).map_err(|_| "an extra jar is larger than 4 GiB")?;
        let name_len = u16::try_from(name.len()).map_err(|_| "extra jar name too long")?;
        let mut common = Vec::with_capacity(26);
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&0u16.to_le_bytes()); // flags
        common.extend_from_slice(&0u16.to_le_bytes()); // stored
        common.extend_from_slice(&0u16.to_le_bytes()); // time
        common.extend_from_slice(&0x2821u16.to_le_bytes()); // date: 2000-01-01
        common.extend_from_slice(&crc32(bytes).to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&size.to_le_bytes());
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra field
        out.extend_from_slice(&LOCAL_HEADER);
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(bytes);
        central.extend_from_slice(&CENTRAL_HEADER);
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0u8; 6]); // comment, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let new_cd_offset = u32::try_from(out.len()).map_err(|_| "the result would need zip64")?;
    out.extend_from_slice(&program[cd_start..cd_end]);
    out.extend_from_slice(&central);
    let new_cd_size = u32::try_from(out.len() - new_cd_offset as usize)
        .map_err(|_| "the result would need zip64")?;
    let total = u16::try_from(total).map_err(|_| "too many entries")?;
    out.extend_from_slice(&EOCD);
    out.extend_from_slice(&[0u8; 4]); // disk numbers
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&new_cd_size.to_le_bytes());
    out.extend_from_slice(&new_cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // no comment
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::jar_bytes;

    /// Lists the names in a zip's central directory, checking each local header it points to.
    fn names(zip: &[u8]) -> Vec<String> {
        let eocd = zip.len() - EOCD_LEN;
        assert_eq!(zip[eocd..eocd + 4], EOCD);
        let n = u16_at(zip, eocd + 10);
        let mut at = u32_at(zip, eocd + 16) as usize;
        let mut out = Vec::new();
        for _ in 0..n {
            assert_eq!(zip[at..at + 4], CENTRAL_HEADER);
            let name_len = u16_at(zip, at + 28);
            let extra = u16_at(zip, at + 30);
            let comment = u16_at(zip, at + 32);
            let local = u32_at(zip, at + 42) as usize;
            assert_eq!(zip[local..local + 4], LOCAL_HEADER);
            let crc = u32_at(zip, at + 16);
            let size = u32_at(zip, at + 20) as usize;
            let lname = u16_at(zip, local + 26);
            let lextra = u16_at(zip, local + 28);
            let data = &zip[local + 30 + lname + lextra..local + 30 + lname + lextra + size];
            assert_eq!(crc32(data), crc);
            out.push(String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap());
            at += 46 + name_len + extra + comment;
        }
        out
    }

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn adds_lib_entries_and_keeps_the_program() {
        let program = jar_bytes(&[
            ("META-INF/MANIFEST.MF", b"Main-Class: a.B\r\n"),
            ("a/B.class", b"cafe"),
        ]);
        let udf = jar_bytes(&[("u/Udf.class", b"babe")]);
        let out = with_libs(&program, &[("udf.jar".into(), udf.clone())]).unwrap();
        assert_eq!(
            names(&out),
            [
                "META-INF/MANIFEST.MF",
                "a/B.class",
                "lib/streampark-0-udf.jar"
            ]
        );
        assert!(out.windows(udf.len()).any(|w| w == udf));
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &out).unwrap();
        assert_eq!(
            crate::artifact::check_jar_file(file.path()).unwrap(),
            Ok(())
        );
    }

    #[test]
    fn refuses_what_it_cannot_extend() {
        assert!(with_libs(b"not a jar", &[]).is_err());
        let program = jar_bytes(&[("a", b"b")]);
        assert!(with_libs(&program[..program.len() - 3], &[]).is_err());
        let mut bad = program.clone();
        let n = bad.len();
        bad[n - 6..n - 2].copy_from_slice(&2u32.to_le_bytes());
        assert!(with_libs(&bad, &[]).is_err());
    }
}
