//! The simulator's view of a SQL script: split like the runner does, and check the first
//! keyword of each statement. Not a SQL checker: it catches what the runner would reject
//! before Flink's planner ever runs (unknown statements, no INSERT).

use std::time::Duration;

const KNOWN: &[&str] = &[
    "SET", "RESET", "CREATE", "DROP", "ALTER", "INSERT", "EXECUTE", "BEGIN", "USE", "LOAD",
    "UNLOAD", "ADD", "REMOVE", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "ANALYZE", "TRUNCATE",
    "CALL", "DELETE", "UPDATE",
];

/// Statements of a script with the line each starts on; comments dropped.
pub(crate) fn split(script: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start_line = 0usize;
    let mut line = 1usize;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                if start_line == 0 {
                    start_line = line;
                }
                cur.push(c);
                while let Some(d) = chars.next() {
                    cur.push(d);
                    if d == '\n' {
                        line += 1;
                    }
                    if d == c {
                        if chars.peek() == Some(&c) {
                            cur.push(c);
                            chars.next();
                            continue;
                        }
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        line += 1;
                        cur.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if d == '\n' {
                        line += 1;
                    }
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                cur.push(' ');
            }
            ';' => {
                let head = normalize(&cur);
                let in_set = (head.starts_with("EXECUTE STATEMENT SET")
                    || head.starts_with("BEGIN STATEMENT SET"))
                    && !head.ends_with(" END");
                if in_set {
                    cur.push(';');
                    continue;
                }
                if !cur.trim().is_empty() {
                    out.push((cur.trim().to_string(), start_line.max(1)));
                }
                cur.clear();
                start_line = 0;
            }
            _ => {
                if c == '\n' {
                    line += 1;
                }
                if start_line == 0 && !c.is_whitespace() {
                    start_line = line;
                }
                cur.push(c);
            }
        }
    }
    if !cur.trim().is_empty() {
        out.push((cur.trim().to_string(), start_line.max(1)));
    }
    out
}

fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase()
}

/// `Err(message)` in the runner's words when the runner would reject the script.
pub(crate) fn check_script(script: &str) -> Result<(), String> {
    let stmts = split(script);
    let mut inserts = 0;
    for (n, (text, line)) in stmts.iter().enumerate() {
        let head = normalize(text);
        let first = head.split([' ', '(']).next().unwrap_or("");
        if !KNOWN.contains(&first) {
            if matches!(first, "SELECT" | "WITH" | "VALUES") {
                return Err(format!(
                    "SQL statement {} (line {line}): a query cannot run in a job script: write it as INSERT INTO <sink> SELECT ...",
                    n + 1
                ));
            }
            let shown: String = first.chars().take(40).collect();
            return Err(format!(
                "SQL statement {} (line {line}): SQL parse failed. Encountered \"{shown}\" at line 1, column 1.",
                n + 1
            ));
        }
        if head.starts_with("INSERT")
            || head.starts_with("EXECUTE")
            || head.starts_with("BEGIN STATEMENT SET")
        {
            inserts += 1;
        }
    }
    if inserts == 0 {
        return Err("the script has no INSERT statement: there is no job to run".into());
    }
    Ok(())
}

/// The duration of a `-- sim: <name> <duration>` directive, if the script has one.
pub(crate) fn directive_duration(script: &str, name: &str) -> Option<Duration> {
    script.lines().find_map(|l| {
        let rest = l
            .trim()
            .strip_prefix("--")?
            .trim()
            .strip_prefix("sim:")?
            .trim();
        let value = rest.strip_prefix(name)?.trim();
        parse_duration(value)
    })
}

/// Flink-style durations: `500 ms`, `10s`, `2 min`, `1h`, a bare number of milliseconds.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let ms = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => n,
        "s" | "sec" | "secs" | "second" | "seconds" => n.checked_mul(1000)?,
        "m" | "min" | "mins" | "minute" | "minutes" => n.checked_mul(60_000)?,
        "h" | "hour" | "hours" => n.checked_mul(3_600_000)?,
        "d" | "day" | "days" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_lines_quotes_comments_and_sets() {
        let s = "SET 'a;b' = 'c';\n-- x; y\nCREATE TABLE t (a INT) WITH ('k'='v;');\n\
                 EXECUTE STATEMENT SET BEGIN\nINSERT INTO a SELECT 1;\nINSERT INTO b SELECT 2;\nEND;\n/* ; */ INSERT INTO c SELECT ';'";
        let v = split(s);
        assert_eq!(v.len(), 4, "{v:?}");
        assert_eq!(v[1].1, 3);
        assert!(v[2].0.ends_with("END"), "{:?}", v[2]);
        assert_eq!(v[2].1, 4);
        assert_eq!(v[3].1, 8);
    }

    #[test]
    fn rejects_like_the_runner() {
        let e = check_script("CREATE TABLE t (a INT);\nSELEC a FROM t;").unwrap_err();
        assert!(
            e.contains("statement 2 (line 2)") && e.contains("SELEC"),
            "{e}"
        );
        let e = check_script("CREATE TABLE t (a INT);").unwrap_err();
        assert!(e.contains("no INSERT"), "{e}");
        let e = check_script("SELECT 1").unwrap_err();
        assert!(e.contains("query cannot run"), "{e}");
        assert!(check_script("insert into k select 1").is_ok());
    }

    #[test]
    fn durations_and_directives() {
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("2 min"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("250"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("99999999999999999999h"), None);
        let s = "-- sim: fail-after 3s\nINSERT INTO k SELECT 1";
        assert_eq!(
            directive_duration(s, "fail-after"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(directive_duration(s, "vanish-after"), None);
    }
}
