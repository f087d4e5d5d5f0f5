/*
 * streampark-rs SQL runner: runs one Flink SQL script as one Flink job.
 *
 * Usage (as the program of a jar submission, e.g. POST /jars/:id/run):
 *   --script-b64 <base64 UTF-8 script> | --script <script> | --file <path>
 *   [--name <pipeline name>] [--jar <path or URL>]...
 *
 * Each --jar is added with ADD JAR before the script runs (Flink 1.16+): its classes (UDFs,
 * connectors) are on the planner's class path and the jar ships with the job to the TaskManagers.
 *
 * SET/RESET change the table configuration; DDL and other statements run in order through
 * TableEnvironment#executeSql; every INSERT (alone, in EXECUTE STATEMENT SET BEGIN ... END or in
 * BEGIN STATEMENT SET; ... END;) joins ONE statement set, executed at the end: one job.
 * An error names the statement number and its line in the script.
 * Compiled with --release 11 against Flink's public Table API, to run on Flink 1.14 to 2.x: the
 * few calls that differ between releases go through Compat, and what a release lacks (ADD JAR
 * before 1.16) is an error naming the release that added it.
 */
package io.streampark.runner;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;

public final class SqlRunner {

    /** One statement of the script, with the 1-based line it starts on. */
    static final class Stmt {
        final String text;
        final int line;

        Stmt(String text, int line) {
            this.text = text;
            this.line = line;
        }
    }

    private SqlRunner() {}

    public static void main(String[] args) throws Exception {
        String script = null;
        String name = null;
        List<String> jars = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean hasValue = i + 1 < args.length;
            if (a.equals("--script-b64") && hasValue) {
                script = new String(Base64.getDecoder().decode(args[++i]), StandardCharsets.UTF_8);
            } else if (a.equals("--script") && hasValue) {
                script = args[++i];
            } else if (a.equals("--file") && hasValue) {
                script = new String(Files.readAllBytes(Paths.get(args[++i])), StandardCharsets.UTF_8);
            } else if (a.equals("--name") && hasValue) {
                name = args[++i];
            } else if (a.equals("--jar") && hasValue) {
                jars.add(args[++i]);
            } else {
                throw new IllegalArgumentException("streampark sql runner: unknown argument " + a
                        + " (usage: --script-b64 B64 | --script SQL | --file PATH [--name NAME] [--jar PATH]...)");
            }
        }
        if (script == null) {
            throw new IllegalArgumentException("streampark sql runner: no script given");
        }
        run(script, name, jars);
    }

    static void run(String script, String name, List<String> jars) {
        List<Stmt> stmts = split(script);
        TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        if (!jars.isEmpty() && Compat.olderThan(1, 16)) {
            throw new IllegalArgumentException("extra jars need ADD JAR, which arrived in Flink 1.16; this"
                    + " cluster runs Flink " + Compat.version() + ": put them into the cluster's lib/ instead");
        }
        for (String jar : jars) {
            try {
                env.executeSql("ADD JAR '" + jar.replace("'", "''") + "'");
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("extra jar " + jar + ": " + e.getMessage(), e);
            }
        }
        StatementSet inserts = env.createStatementSet();
        int n = 0;
        int insertCount = 0;
        for (Stmt s : stmts) {
            n++;
            try {
                insertCount += execute(env, inserts, s.text);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("SQL statement " + n + " (line " + s.line + "): "
                        + e.getMessage(), e);
            }
        }
        if (insertCount == 0) {
            throw new IllegalArgumentException(
                    "the script has no INSERT statement: there is no job to run");
        }
        if (name != null && !name.isEmpty()) {
            Compat.set(env, "pipeline.name", name);
        }
        TableResult result = inserts.execute();
        if (result.getJobClient().isPresent()) {
            System.out.println("streampark sql runner: job " + result.getJobClient().get().getJobID());
        }
    }

    /** Runs or collects one statement; returns how many INSERTs it added to the set. */
    static int execute(TableEnvironment env, StatementSet inserts, String sql) {
        String head = normalize(sql);
        if (head.startsWith("SET")) {
            String body = sql.trim().substring(3).trim();
            if (body.isEmpty()) {
                return 0;
            }
            int eq = indexOutsideQuotes(body, '=');
            if (eq < 0) {
                throw new IllegalArgumentException("SET needs 'key' = 'value': " + sql.trim());
            }
            Compat.set(env, unquote(body.substring(0, eq)), unquote(body.substring(eq + 1)));
            return 0;
        }
        if (head.startsWith("RESET")) {
            String key = unquote(sql.trim().substring(5));
            if (!key.isEmpty()) {
                Compat.reset(env, key);
            }
            return 0;
        }
        if (head.startsWith("EXECUTE STATEMENT SET") || head.startsWith("BEGIN STATEMENT SET")) {
            String inner = sql.trim();
            int begin = indexOfWord(inner, "BEGIN", head.startsWith("BEGIN") ? 0 : 1);
            int end = inner.toUpperCase(Locale.ROOT).lastIndexOf("END");
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException("statement set without BEGIN ... END");
            }
            String body = inner.substring(begin + 5, end);
            if (head.startsWith("BEGIN")) {
                body = body.replaceFirst("(?is)^\\s*STATEMENT\\s+SET\\s*;?", "");
            }
            int added = 0;
            for (Stmt s : split(body)) {
                String h = normalize(s.text);
                if (!h.startsWith("INSERT")) {
                    throw new IllegalArgumentException("only INSERT statements may appear in a statement set");
                }
                inserts.addInsertSql(s.text);
                added++;
            }
            return added;
        }
        if (head.startsWith("EXECUTE INSERT")) {
            inserts.addInsertSql(sql.trim().substring(7).trim());
            return 1;
        }
        if (head.startsWith("INSERT")) {
            inserts.addInsertSql(sql);
            return 1;
        }
        if (head.startsWith("SELECT") || head.startsWith("WITH") || head.startsWith("VALUES")) {
            throw new IllegalArgumentException(
                    "a query cannot run in a job script: write it as INSERT INTO <sink> SELECT ...");
        }
        env.executeSql(sql);
        return 0;
    }

    static String normalize(String sql) {
        return sql.trim().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
    }

    static int indexOfWord(String s, String word, int occurrence) {
        String up = s.toUpperCase(Locale.ROOT);
        int from = 0;
        for (int k = 0; k <= occurrence; k++) {
            int i = up.indexOf(word, from);
            if (i < 0) {
                return -1;
            }
            if (k == occurrence) {
                return i;
            }
            from = i + word.length();
        }
        return -1;
    }

    static int indexOutsideQuotes(String s, char target) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == target) {
                return i;
            }
        }
        return -1;
    }

    static String unquote(String raw) {
        String t = raw.trim();
        if (t.length() >= 2) {
            char q = t.charAt(0);
            if ((q == '\'' || q == '"' || q == '`') && t.charAt(t.length() - 1) == q) {
                String inner = t.substring(1, t.length() - 1);
                return q == '\'' ? inner.replace("''", "'") : inner;
            }
        }
        return t;
    }

    /**
     * Splits a script on ';' outside string literals, quoted identifiers and comments. Comments
     * are dropped except optimizer hints (slash-star-plus). A statement-set block stays whole up
     * to its END.
     */
    static List<Stmt> split(String script) {
        List<Stmt> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int line = 1;
        int startLine = -1;
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            if (c == '\n') {
                line++;
            }
            if (c == '\'' || c == '"' || c == '`') {
                if (startLine < 0) {
                    startLine = line;
                }
                int j = i + 1;
                while (j < n) {
                    char d = script.charAt(j);
                    if (d == '\n') {
                        line++;
                    }
                    if (d == c) {
                        if (j + 1 < n && script.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                int stop = Math.min(j + 1, n);
                cur.append(script, i, stop);
                i = stop;
                continue;
            }
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                while (i < n && script.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                boolean hint = i + 2 < n && script.charAt(i + 2) == '+';
                int close = script.indexOf("*/", i + 2);
                int stop = close < 0 ? n : close + 2;
                for (int k = i; k < stop; k++) {
                    if (script.charAt(k) == '\n') {
                        line++;
                    }
                }
                cur.append(hint ? script.substring(i, stop) : " ");
                i = stop;
                continue;
            }
            if (c == ';') {
                String text = cur.toString().trim();
                String head = normalize(text);
                boolean openSet = (head.startsWith("EXECUTE STATEMENT SET") || head.startsWith("BEGIN STATEMENT SET"))
                        && !head.endsWith(" END") && !head.equals("BEGIN STATEMENT SET");
                boolean blockStart = head.equals("BEGIN STATEMENT SET");
                if (openSet || blockStart) {
                    cur.append(c);
                    i++;
                    continue;
                }
                if (!text.isEmpty()) {
                    out.add(new Stmt(text, startLine < 0 ? line : startLine));
                }
                cur.setLength(0);
                startLine = -1;
                i++;
                continue;
            }
            if (startLine < 0 && !Character.isWhitespace(c)) {
                startLine = line;
            }
            cur.append(c);
            i++;
        }
        String text = cur.toString().trim();
        if (!text.isEmpty()) {
            out.add(new Stmt(text, startLine < 0 ? line : startLine));
        }
        return out;
    }
}
