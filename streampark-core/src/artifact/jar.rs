//! Is a file a jar? Checks the zip structure without unpacking anything: a local file header
//! at the start, an end-of-central-directory record at the end, and a central directory where
//! that record says it is.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

const LOCAL_HEADER: [u8; 4] = *b"PK\x03\x04";
const CENTRAL_HEADER: [u8; 4] = *b"PK\x01\x02";
const EOCD: [u8; 4] = *b"PK\x05\x06";
const EOCD_LEN: usize = 22;
/// The end record plus the longest comment a zip may carry.
const TAIL: u64 = EOCD_LEN as u64 + u16::MAX as u64;

/// `Ok(Err(reason))` when the file is not a usable jar; `Err` only for I/O trouble.
pub(crate) fn check_file(path: &Path) -> io::Result<Result<(), String>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let mut head = [0u8; 4];
    if len < (4 + EOCD_LEN) as u64 {
        return Ok(Err(format!("{len} bytes is too short for a zip file")));
    }
    f.read_exact(&mut head)?;
    let tail_len = len.min(TAIL);
    f.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::with_capacity(tail_len as usize);
    f.by_ref().take(tail_len).read_to_end(&mut tail)?;
    let cd = match check_ends(&head, &tail, len) {
        Ok(cd) => cd,
        Err(reason) => return Ok(Err(reason)),
    };
    if let Some(offset) = cd {
        let mut sig = [0u8; 4];
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(&mut sig)?;
        if sig != CENTRAL_HEADER {
            return Ok(Err(format!(
                "no central directory entry at offset {offset} where the end record points"
            )));
        }
    }
    Ok(Ok(()))
}

/// Checks the first bytes and the tail (the last `min(len, TAIL)` bytes) of a file of `len`
/// bytes. Returns the central directory offset to verify, `None` for zip64 archives whose
/// offsets live elsewhere.
fn check_ends(head: &[u8], tail: &[u8], len: u64) -> Result<Option<u64>, String> {
    if tail.len() < EOCD_LEN {
        return Err("truncated zip: shorter than an end-of-central-directory record".into());
    }
    if head.get(..4) != Some(&LOCAL_HEADER[..]) {
        let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
        return Err(format!(
            "not a zip/jar file: starts with {} instead of the zip signature 50 4b 03 04",
            shown.join(" ")
        ));
    }
    let pos = (0..=tail.len().saturating_sub(EOCD_LEN))
        .rev()
        .find(|&i| {
            tail[i..i + 4] == EOCD && {
                let comment = u16::from_le_bytes([tail[i + 20], tail[i + 21]]) as usize;
                i + EOCD_LEN + comment == tail.len()
            }
        })
        .ok_or_else(|| {
            "truncated or corrupt zip: no end-of-central-directory record".to_string()
        })?;
    let r = &tail[pos..];
    let u16_at = |o: usize| u16::from_le_bytes([r[o], r[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([r[o], r[o + 1], r[o + 2], r[o + 3]]);
    let entries = u16_at(10);
    let cd_size = u32_at(12);
    let cd_offset = u32_at(16);
    if entries == 0 {
        return Err("empty zip: no entries".into());
    }
    if cd_size == u32::MAX || cd_offset == u32::MAX || entries == u16::MAX {
        return Ok(None); // zip64: the real values are in the zip64 end record
    }
    let eocd_at = len - tail.len() as u64 + pos as u64;
    if u64::from(cd_offset) + u64::from(cd_size) > eocd_at {
        return Err(format!(
            "corrupt zip: central directory ({cd_size} bytes at {cd_offset}) overlaps its end record at {eocd_at}"
        ));
    }
    Ok(Some(u64::from(cd_offset)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::jar_bytes as zip;

    fn check_bytes(bytes: &[u8]) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jar");
        std::fs::write(&p, bytes).unwrap();
        check_file(&p).unwrap()
    }

    #[test]
    fn accepts_a_real_zip() {
        let z = zip(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n"),
            ("a.txt", b"hi"),
        ]);
        assert_eq!(check_bytes(&z), Ok(()));
    }

    #[test]
    fn rejects_non_zips_truncations_and_garbage() {
        let z = zip(&[("a.txt", b"hello")]);
        let e = check_bytes(b"<html>404 Not Found</html> plus some padding").unwrap_err();
        assert!(e.contains("3c 68 74 6d"), "{e}");
        let e = check_bytes(&z[..z.len() - 5]).unwrap_err();
        assert!(e.contains("end-of-central-directory"), "{e}");
        assert!(check_bytes(b"PK").unwrap_err().contains("too short"));
        // central directory offset pointing at garbage
        let mut bad = z.clone();
        let n = bad.len();
        bad[n - 6..n - 2].copy_from_slice(&1u32.to_le_bytes());
        assert!(check_bytes(&bad).is_err());
        // huge sizes in the end record never panic
        let mut bad = z.clone();
        bad[n - 10..n - 2].copy_from_slice(&[0xfe; 8]);
        assert!(check_bytes(&bad).is_err());
        assert!(check_bytes(&zip(&[])).is_err());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for n in 0..200usize {
            let mut v = b"PK\x03\x04".to_vec();
            for _ in 0..(n * 7 % 300) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                v.push(seed as u8);
            }
            if n % 3 == 0 {
                v.extend_from_slice(&EOCD);
                v.extend_from_slice(&seed.to_le_bytes());
                v.extend_from_slice(&[0; 10]);
            }
            let _ = check_ends(&v[..4], &v, v.len() as u64);
        }
    }
}
