/*
 * SqlOracle — asks one Flink release's own SQL parser for a verdict on each input statement.
 *
 * Built by scripts/sql-oracle against the jars of a Flink home (1.14 … 2.x) and run on that
 * release's Java. Reads {"id": <any JSON>, "sql": "<one or more statements>"} lines (a file or
 * stdin) and writes one line per input, in input order:
 *
 *   {"id":..,"expect":"valid"|"invalid","phase":"parse"|"validate"|null,
 *    "error_line":N|null,"error_column":N|null,"flink_message":"..."|null,"flink_version":"V"}
 *
 * The parser is set up the way Flink's planner sets it up for the default dialect
 * (PlannerContext#getSqlParserConfig, the same in every release from 1.14 to 2.3):
 * SqlParser.config() with the parser factory for FlinkSqlConformance.DEFAULT, that conformance,
 * Lex.JAVA and identifiers of at most 256 characters; a script is read with parseStmtList().
 * What the grammar rejects is retried with Flink's regex parser for the client commands
 * (ExtendedParser: SET key=value, RESET, HELP, QUIT/EXIT, CLEAR), as the planner does; what
 * parses goes through the catalog-free node checks (ExtendedSqlNode#validate), which Flink runs
 * before it looks at a catalog ("phase":"validate").
 *
 * Only Calcite's parser API and flink-sql-parser's public classes are referenced directly; the
 * planner-internal classes (FlinkSqlParserFactories, ExtendedParser) are looked up by name, so the
 * same source compiles against every release.
 *
 * Usage: SqlOracle [--flink-version V] [--bench N] FILE.jsonl|-
 *   --bench N   after the verdicts, parse the whole input N more times and print the warm
 *               parser's speed (inputs/s, statements/s, MB/s) on stderr: the best run and the
 *               median of the last N/2 runs. A script counts the statements it holds.
 * Exit status: 0 done; 2 bad arguments or input (nothing written); 3 the parser could not be set up.
 */
package io.streampark.oracle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.apache.calcite.config.Lex;
import org.apache.calcite.runtime.CalciteContextException;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.parser.SqlParserImplFactory;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.validate.SqlConformance;
import org.apache.flink.sql.parser.ExtendedSqlNode;
import org.apache.flink.sql.parser.impl.FlinkSqlParserImpl;
import org.apache.flink.sql.parser.validate.FlinkSqlConformance;

public final class SqlOracle {

    /** Longest message kept, in characters (code points), as in the stored labels. */
    static final int MESSAGE_MAX = 200;

    private final SqlParser.Config config;
    private final Object commandParser; // ExtendedParser.INSTANCE, or null
    private final Method commandParse;  // ExtendedParser#parse(String), or null

    SqlOracle() throws ReflectiveOperationException {
        SqlConformance conformance = FlinkSqlConformance.DEFAULT;
        this.config = SqlParser.config()
                .withParserFactory(parserFactory(conformance))
                .withConformance(conformance)
                .withLex(Lex.JAVA)
                .withIdentifierMaxLength(256);
        Object instance = null;
        Method parse = null;
        try {
            Class<?> c = Class.forName("org.apache.flink.table.planner.parse.ExtendedParser");
            instance = c.getField("INSTANCE").get(null);
            parse = c.getMethod("parse", String.class);
        } catch (ClassNotFoundException | NoSuchFieldException | NoSuchMethodException e) {
            // a release without the client-command parser: the grammar alone decides
        }
        this.commandParser = instance;
        this.commandParse = parse;
    }

    /** The planner's factory for the conformance; the plain Flink parser if the planner lacks it. */
    private static SqlParserImplFactory parserFactory(SqlConformance conformance)
            throws ReflectiveOperationException {
        try {
            Class<?> c = Class.forName("org.apache.flink.table.planner.delegation.FlinkSqlParserFactories");
            return (SqlParserImplFactory) c.getMethod("create", SqlConformance.class).invoke(null, conformance);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return FlinkSqlParserImpl.FACTORY;
        }
    }

    /** What Flink said of one input. */
    static final class Verdict {
        boolean valid;
        String phase;     // "parse" | "validate" | null
        int line;         // 0 when Flink named no position
        int column;
        String message;   // null when valid
        int statements;   // statements parsed (1 for a client command), 0 when invalid
    }

    Verdict judge(String sql) {
        Verdict v = new Verdict();
        SqlNodeList list;
        try {
            list = SqlParser.create(sql, config).parseStmtList();
        } catch (Throwable t) { // StackOverflowError too: Flink would fail the same way
            if (isClientCommand(sql)) {
                v.valid = true;
                v.statements = 1;
                return v;
            }
            v.phase = "parse";
            v.message = parseMessage(t);
            setPosition(v, positionOf(t));
            return v;
        }
        for (SqlNode node : list) {
            if (!(node instanceof ExtendedSqlNode)) continue;
            try {
                ((ExtendedSqlNode) node).validate();
            } catch (Throwable t) {
                v.phase = "validate";
                v.message = firstLine(String.valueOf(t.getMessage()));
                setPosition(v, positionOf(t));
                return v;
            }
        }
        v.valid = true;
        v.statements = list.size();
        return v;
    }

    /** Flink's regex parser for SET/RESET/HELP/QUIT/EXIT/CLEAR, on the statement without its `;`. */
    private boolean isClientCommand(String sql) {
        if (commandParser == null) return false;
        String s = sql.trim();
        if (s.endsWith(";")) s = s.substring(0, s.length() - 1).trim();
        try {
            Object r = commandParse.invoke(commandParser, s);
            return r instanceof Optional && ((Optional<?>) r).isPresent();
        } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
            return false;
        }
    }

    /** The message without Calcite's list of expected tokens, first line, at most 200 characters. */
    static String parseMessage(Throwable t) {
        String msg = String.valueOf(t.getMessage());
        int cut = msg.indexOf("\nWas expecting");
        if (cut >= 0) msg = msg.substring(0, cut);
        return firstLine(msg.trim());
    }

    static String firstLine(String msg) {
        int nl = msg.indexOf('\n');
        if (nl >= 0) msg = msg.substring(0, nl);
        if (msg.codePointCount(0, msg.length()) > MESSAGE_MAX) {
            msg = msg.substring(0, msg.offsetByCodePoints(0, MESSAGE_MAX));
        }
        return msg;
    }

    /** Where Flink puts the error: parse exceptions, Calcite context errors, SqlValidateException. */
    static SqlParserPos positionOf(Throwable t) {
        if (t instanceof SqlParseException) return ((SqlParseException) t).getPos();
        if (t instanceof CalciteContextException) {
            CalciteContextException c = (CalciteContextException) t;
            return new SqlParserPos(c.getPosLine(), c.getPosColumn());
        }
        try { // SqlValidateException#getErrorPosition, and any other exception shaped like it
            Object p = t.getClass().getMethod("getErrorPosition").invoke(t);
            return p instanceof SqlParserPos ? (SqlParserPos) p : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static void setPosition(Verdict v, SqlParserPos pos) {
        if (pos != null && pos.getLineNum() > 0) {
            v.line = pos.getLineNum();
            v.column = pos.getColumnNum();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Input and output

    /** One input line: the id as written (raw JSON text) and the SQL. */
    static final class Case {
        final String rawId;
        final String sql;
        Case(String rawId, String sql) { this.rawId = rawId; this.sql = sql; }
    }

    static final class UsageError extends Exception {
        UsageError(String m) { super(m); }
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (UsageError e) {
            System.err.println("sql-oracle: error: " + e.getMessage());
            System.exit(2);
        }
    }

    static int run(String[] args) throws UsageError {
        String path = null;
        String version = "unknown";
        int bench = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--flink-version") && i + 1 < args.length) {
                version = args[++i];
            } else if (a.equals("--bench") && i + 1 < args.length) {
                try {
                    bench = Integer.parseInt(args[++i]);
                } catch (NumberFormatException e) {
                    throw new UsageError("--bench takes a number of runs, not '" + args[i] + "'");
                }
                if (bench < 0) throw new UsageError("--bench takes a number of runs >= 0");
            } else if (a.equals("-h") || a.equals("--help")) {
                System.err.println("usage: SqlOracle [--flink-version V] [--bench N] FILE.jsonl|-");
                return 0;
            } else if (a.startsWith("--")) {
                throw new UsageError("unknown option " + a);
            } else if (path == null) {
                path = a;
            } else {
                throw new UsageError("one input only (got '" + path + "' and '" + a + "')");
            }
        }
        if (path == null) throw new UsageError("no input: give FILE.jsonl or - for stdin");

        List<Case> cases = readCases(path);
        SqlOracle oracle;
        try {
            oracle = new SqlOracle();
        } catch (ReflectiveOperationException | LinkageError e) {
            System.err.println("sql-oracle: error: cannot set up Flink's parser: " + e);
            return 3;
        }
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), false);
        String versionJson = Json.quote(version);
        for (Case c : cases) {
            Verdict v = oracle.judge(c.sql);
            StringBuilder b = new StringBuilder(128);
            b.append("{\"id\":").append(c.rawId)
             .append(",\"expect\":").append(v.valid ? "\"valid\"" : "\"invalid\"")
             .append(",\"phase\":").append(v.phase == null ? "null" : Json.quote(v.phase))
             .append(",\"error_line\":").append(v.line > 0 ? Integer.toString(v.line) : "null")
             .append(",\"error_column\":").append(v.line > 0 ? Integer.toString(v.column) : "null")
             .append(",\"flink_message\":").append(v.message == null ? "null" : Json.quote(v.message))
             .append(",\"flink_version\":").append(versionJson)
             .append('}');
            out.println(b);
        }
        out.flush();
        if (out.checkError()) {
            System.err.println("sql-oracle: error: writing the verdicts failed");
            return 3;
        }
        if (bench > 0 && !cases.isEmpty()) benchmark(oracle, cases, bench);
        return 0;
    }

    static List<Case> readCases(String path) throws UsageError {
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = path.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Paths.get(path), StandardCharsets.UTF_8)) {
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
        } catch (IOException e) {
            throw new UsageError("cannot read " + path + ": " + e.getMessage());
        }
        List<Case> cases = new ArrayList<>(lines.size());
        for (int n = 0; n < lines.size(); n++) {
            String l = lines.get(n);
            if (l.trim().isEmpty()) continue;
            try {
                cases.add(Json.readCase(l));
            } catch (IllegalArgumentException e) {
                throw new UsageError(path + " line " + (n + 1) + ": " + e.getMessage());
            }
        }
        return cases;
    }

    /**
     * Re-parses every input `runs` times; prints each run's figures, the best run and the median
     * of the second half of the runs (after the JIT has settled).
     */
    static void benchmark(SqlOracle oracle, List<Case> cases, int runs) {
        long statements = 0;
        long bytes = 0;
        for (Case c : cases) {
            statements += Math.max(1, oracle.judge(c.sql).statements);
            bytes += c.sql.getBytes(StandardCharsets.UTF_8).length;
        }
        double[] secs = new double[runs];
        long sink = 0;
        for (int k = 0; k < runs; k++) {
            long t0 = System.nanoTime();
            for (Case c : cases) sink += oracle.judge(c.sql).statements;
            secs[k] = (System.nanoTime() - t0) / 1e9;
            System.err.printf("bench: run %d/%d: %.4f s, %.0f statements/s%n", k + 1, runs, secs[k], statements / secs[k]);
        }
        double[] sorted = secs.clone();
        Arrays.sort(sorted);
        double best = sorted[0];
        // the median of the second half: the JIT is still compiling during the first runs
        double[] warm = Arrays.copyOfRange(secs, runs / 2, runs);
        Arrays.sort(warm);
        double median = warm[warm.length / 2];
        System.err.printf("bench: %d inputs, %d statements, %d bytes; %d runs (checksum %d)%n",
                cases.size(), statements, bytes, runs, sink);
        System.err.printf("bench: best %.4f s = %.0f inputs/s, %.0f statements/s, %.2f MB/s%n",
                best, cases.size() / best, statements / best, bytes / best / 1e6);
        System.err.printf("bench: median of the last %d runs %.4f s = %.0f inputs/s, %.0f statements/s, %.2f MB/s%n",
                warm.length,
                median, cases.size() / median, statements / median, bytes / median / 1e6);
    }

    /**
     * Just enough JSON: reads one object per line, keeps the "id" value as written and decodes
     * the "sql" string; writes strings with the escapes JSON needs.
     */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) { this.s = s; }

        static Case readCase(String line) {
            Json j = new Json(line);
            j.space();
            j.expect('{');
            String rawId = null;
            String sql = null;
            j.space();
            if (j.peek() == '}') {
                j.i++;
            } else {
                while (true) {
                    j.space();
                    String key = j.string();
                    j.space();
                    j.expect(':');
                    j.space();
                    int start = j.i;
                    if (key.equals("sql")) {
                        if (j.peek() != '"') throw j.error("\"sql\" must be a string");
                        sql = j.string();
                    } else {
                        j.skipValue();
                        if (key.equals("id")) rawId = j.s.substring(start, j.i);
                    }
                    j.space();
                    char c = j.next();
                    if (c == '}') break;
                    if (c != ',') throw j.error("expected ',' or '}'");
                }
            }
            j.space();
            if (j.i != j.s.length()) throw j.error("text after the object");
            if (sql == null) throw new IllegalArgumentException("no \"sql\" string");
            return new Case(rawId == null ? "null" : rawId, sql);
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("bad JSON at character " + (i + 1) + ": " + what);
        }

        private char peek() {
            if (i >= s.length()) throw error("unexpected end of line");
            return s.charAt(i);
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) throw error("expected '" + c + "'");
        }

        private void space() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\r' || s.charAt(i) == '\n')) i++;
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') return b.toString();
                if (c < 0x20) throw error("control character in a string");
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"': case '\\': case '/': b.append(e); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u':
                        if (i + 4 > s.length()) throw error("short \\u escape");
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("bad \\u escape");
                        }
                        i += 4;
                        break;
                    default: throw error("bad escape \\" + e);
                }
            }
        }

        private void skipValue() {
            char c = peek();
            if (c == '"') {
                string();
            } else if (c == '{' || c == '[') {
                char close = c == '{' ? '}' : ']';
                i++;
                space();
                if (peek() == close) { i++; return; }
                while (true) {
                    space();
                    if (close == '}') {
                        string();
                        space();
                        expect(':');
                        space();
                    }
                    skipValue();
                    space();
                    char d = next();
                    if (d == close) return;
                    if (d != ',') throw error("expected ',' or '" + close + "'");
                }
            } else {
                int start = i;
                while (i < s.length() && "+-0123456789.eEtrufalsn".indexOf(s.charAt(i)) >= 0) i++;
                String word = s.substring(start, i);
                if (word.isEmpty()) throw error("unexpected '" + c + "'");
                if (!(word.equals("true") || word.equals("false") || word.equals("null")
                        || word.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?"))) {
                    throw error("bad value '" + word + "'");
                }
            }
        }

        static String quote(String v) {
            StringBuilder b = new StringBuilder(v.length() + 2).append('"');
            for (int k = 0; k < v.length(); k++) {
                char c = v.charAt(k);
                switch (c) {
                    case '"': b.append("\\\""); break;
                    case '\\': b.append("\\\\"); break;
                    case '\n': b.append("\\n"); break;
                    case '\r': b.append("\\r"); break;
                    case '\t': b.append("\\t"); break;
                    default:
                        if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                }
            }
            return b.append('"').toString();
        }
    }
}
