"""Grammar-driven Flink SQL statements of the kinds people write.

`Gen(rnd).statement()` returns one statement (no trailing `;`), `Gen(rnd).script()` sometimes
several. Statements cover DDL (tables with watermarks, computed and metadata columns, primary keys,
LIKE, partitions, distribution, connector options of kafka/upsert-kafka/jdbc/mysql-cdc/filesystem/
doris/hbase/hive/datagen/print/elasticsearch; views, functions, catalogs, databases, CTAS/RTAS,
materialized tables, models), DML (INSERT INTO/OVERWRITE, statement sets, EXECUTE, COMPILE PLAN,
DELETE/UPDATE/TRUNCATE), queries (joins of every kind, window TVFs, group windows, OVER windows,
deduplication and Top-N, MATCH_RECOGNIZE, CTEs, set operations, VALUES, UNNEST, LATERAL TABLE) and
commands (SET/RESET, ADD/REMOVE JAR, SHOW/DESCRIBE/EXPLAIN, USE, LOAD/UNLOAD MODULE, CALL, ALTER,
DROP, ANALYZE, STOP JOB, HELP/QUIT/CLEAR). Features of newer releases are mixed in on purpose, so
Flink 1.14 and 2.3 disagree on some statements. The generator aims at syntax only: names are
invented and never resolved, which is all Flink's parser looks at.
"""

TABLES = ["orders", "payments", "users", "products", "clicks", "shipments", "page_views", "dim_user",
          "rates", "kafka_src", "mysql_orders", "fs_sink", "doris_sink", "hbase_dim", "hive_tbl",
          "events", "inventory", "sessions", "metrics", "logs"]
COLUMNS = ["id", "user_id", "order_id", "amount", "price", "qty", "name", "category", "status", "region",
           "ts", "event_time", "proc_time", "dt", "hr", "payload", "tags", "attrs", "currency", "rate",
           "item_id", "city", "score", "cnt", "url", "ip", "op_type", "version", "updated_at", "flag"]
ALIASES = ["o", "p", "u", "d", "r", "t", "a", "b", "c", "s", "l", "x"]
CATALOGS = ["default_catalog", "hive", "my_catalog", "paimon", "iceberg_cat", "mysql_cat"]
DATABASES = ["default_database", "ods", "dwd", "dws", "ads", "db1", "test_db"]
FUNCS = ["my_udf", "parse_json", "split_tags", "to_upper", "geo_hash", "mask_phone", "ip_to_city"]
CLASSES = ["com.example.udf.MyUdf", "com.acme.flink.ParseJson", "org.demo.SplitTags", "udfs.ToUpper"]
TIME_UNITS = ["SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "YEAR"]
TIME_UNITS_PLURAL = ["SECONDS", "MINUTES", "HOURS", "DAYS"]

SIMPLE_TYPES = ["INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BOOLEAN", "STRING", "DOUBLE", "FLOAT",
                "DATE", "BYTES", "VARCHAR(255)", "CHAR(10)", "DECIMAL(10, 2)", "DECIMAL(38, 18)", "DECIMAL",
                "TIMESTAMP(3)", "TIMESTAMP", "TIMESTAMP_LTZ(3)", "TIME", "TIME(3)", "BINARY(16)", "VARBINARY(64)",
                "DOUBLE PRECISION", "NUMERIC(5)", "DEC(4, 1)", "TIMESTAMP(3) WITH LOCAL TIME ZONE",
                "TIMESTAMP(6) WITHOUT TIME ZONE", "INTERVAL DAY TO SECOND(3)", "INTERVAL YEAR TO MONTH",
                "VARCHAR", "CHAR", "BIGINT NOT NULL", "STRING NOT NULL", "NULL", "VARIANT",
                "RAW('java.lang.String', 'AEJ6d2FzZGY=')"]

CONNECTORS = ["kafka", "upsert-kafka", "jdbc", "mysql-cdc", "filesystem", "doris", "hbase-2.2", "hive",
              "datagen", "print", "blackhole", "elasticsearch-7", "postgres-cdc", "paimon"]

CONFIG_KEYS = ["table.exec.mini-batch.enabled", "table.exec.mini-batch.allow-latency", "table.exec.mini-batch.size",
               "parallelism.default", "pipeline.name", "execution.checkpointing.interval",
               "table.exec.state.ttl", "sql-client.execution.result-mode", "execution.runtime-mode",
               "table.local-time-zone", "table.optimizer.agg-phase-strategy", "state.backend.type",
               "table.exec.sink.not-null-enforcer", "table.dml-sync", "pipeline.operator-chaining",
               "execution.savepoint.path", "table.exec.source.idle-timeout", "yarn.application.queue"]
CONFIG_VALUES = ["true", "false", "5 s", "5000", "4", "my-job", "10min", "1 h", "tableau", "streaming", "batch",
                 "Asia/Shanghai", "TWO_PHASE", "rocksdb", "DROP", "hdfs:///flink/savepoints/sp-1", "root.streaming"]


class Gen:
    """One statement generator bound to one random.Random."""

    def __init__(self, rnd):
        self.r = rnd
        self.depth = 0

    # -- small helpers ------------------------------------------------------------------------
    def p(self, prob):
        return self.r.random() < prob

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def some(self, fn, lo, hi, sep=", "):
        return sep.join(fn() for _ in range(self.r.randint(lo, hi)))

    def weighted(self, table):
        """table: [(weight, fn)]; calls one."""
        total = sum(w for w, _ in table)
        x = self.r.random() * total
        for w, fn in table:
            x -= w
            if x < 0:
                return fn()
        return table[-1][1]()

    # -- names --------------------------------------------------------------------------------
    def col(self):
        c = self.pick(COLUMNS)
        if self.p(0.08):
            c = "`" + c + "`"
        return c

    def qcol(self):
        if self.p(0.35):
            return self.pick(ALIASES) + "." + self.col()
        return self.col()

    def table(self):
        t = self.pick(TABLES)
        x = self.r.random()
        if x < 0.08:
            return self.pick(CATALOGS) + "." + self.pick(DATABASES) + "." + t
        if x < 0.18:
            return self.pick(DATABASES) + "." + t
        if x < 0.22:
            return "`" + t + "`"
        return t

    def str_lit(self, choices=None):
        if choices:
            return "'" + self.pick(choices) + "'"
        return "'" + self.pick(["a", "x", "2024-01-01", "CN", "paid", "%test%", "it''s", "", "k=v", "中文", "a,b"]) + "'"

    # -- types --------------------------------------------------------------------------------
    def dtype(self):
        self.depth += 1
        try:
            if self.depth > 2 or self.p(0.75):
                return self.pick(SIMPLE_TYPES)
            return self.weighted([
                (2, lambda: "ARRAY<" + self.dtype() + ">"),
                (2, lambda: "MAP<" + self.pick(["STRING", "INT", "BIGINT"]) + ", " + self.dtype() + ">"),
                (1, lambda: "MULTISET<" + self.dtype() + ">"),
                (2, lambda: "ROW<" + self.some(self.row_field, 1, 3) + ">"),
                (1, lambda: "ROW(" + self.some(lambda: self.col() + " " + self.dtype(), 1, 3) + ")"),
                (1, lambda: self.dtype() + " ARRAY"),
            ])
        finally:
            self.depth -= 1

    def row_field(self):
        f = self.col() + " " + self.dtype()
        if self.p(0.2):
            f += " " + self.str_lit(["comment", "postal code", "the id"])
        return f

    # -- expressions --------------------------------------------------------------------------
    def literal(self):
        return self.weighted([
            (4, lambda: str(self.r.randint(0, 1000))),
            (2, lambda: self.str_lit()),
            (1, lambda: self.pick(["1.5", "0.01", "-3", "1e3", "2.5E-2", ".5", "100.", "9223372036854775807"])),
            (1, lambda: self.pick(["TRUE", "FALSE", "NULL", "UNKNOWN"])),
            (1, lambda: self.pick(["DATE '2024-01-01'", "TIME '12:30:00'", "TIMESTAMP '2024-01-01 00:00:00'",
                                   "TIMESTAMP '2024-01-01 00:00:00.123'", "TIMESTAMP_LTZ '2024-01-01 00:00:00'"])),
            (1, self.interval),
            (1, lambda: self.pick(["X'0F'", "x'CAFE'", "U&'\\0041\\0042'", "N'abc'", "_UTF16'abc'",
                                   "E'a\\tb'", "'a' 'b'", "'line1'\n'line2'"])),
        ])

    def interval(self):
        x = self.r.random()
        if x < 0.6:
            return "INTERVAL '" + str(self.r.randint(1, 60)) + "' " + self.pick(TIME_UNITS)
        if x < 0.75:
            return "INTERVAL '" + str(self.r.randint(1, 60)) + "' " + self.pick(TIME_UNITS_PLURAL)
        if x < 0.85:
            return self.pick(["INTERVAL '1:30' HOUR TO MINUTE", "INTERVAL '1 02:03:04.5' DAY TO SECOND",
                              "INTERVAL '1-2' YEAR TO MONTH", "INTERVAL '10' SECOND(3)",
                              "INTERVAL '00:00:05' HOUR TO SECOND"])
        if x < 0.92:
            return "INTERVAL " + str(self.r.randint(1, 9)) + " " + self.pick(TIME_UNITS)
        return "INTERVAL -'" + str(self.r.randint(1, 9)) + "' DAY"

    def func_call(self):
        e = self.expr
        return self.weighted([
            (3, lambda: self.pick(["UPPER", "LOWER", "TRIM", "CHAR_LENGTH", "ABS", "FLOOR", "CEIL", "LN",
                                   "MD5", "SHA256", "REVERSE", "INITCAP", "TO_BASE64", "HEX"]) + "(" + e() + ")"),
            (2, lambda: self.pick(["CONCAT", "COALESCE", "GREATEST", "LEAST", "CONCAT_WS"]) + "(" + self.some(e, 1, 4) + ")"),
            (1, lambda: "SUBSTRING(" + e() + " FROM " + str(self.r.randint(1, 5)) + (" FOR 3" if self.p(0.5) else "") + ")"),
            (1, lambda: "SUBSTR(" + e() + ", 1, 3)"),
            (1, lambda: "TRIM(" + self.pick(["BOTH", "LEADING", "TRAILING"]) + " ' ' FROM " + e() + ")"),
            (1, lambda: "POSITION(" + self.str_lit() + " IN " + e() + ")"),
            (1, lambda: "OVERLAY(" + e() + " PLACING 'x' FROM 2" + (" FOR 1" if self.p(0.5) else "") + ")"),
            (1, lambda: "EXTRACT(" + self.pick(["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "DOW", "EPOCH", "QUARTER"]) + " FROM " + self.qcol() + ")"),
            (3, lambda: self.pick(["CAST", "TRY_CAST"]) + "(" + e() + " AS " + self.dtype() + ")"),
            (1, lambda: "IF(" + self.cond() + ", " + e() + ", " + e() + ")"),
            (1, lambda: "NULLIF(" + e() + ", " + e() + ")"),
            (1, lambda: "IFNULL(" + e() + ", " + e() + ")"),
            (1, lambda: "DATE_FORMAT(" + self.qcol() + ", 'yyyy-MM-dd HH:mm:ss')"),
            (1, lambda: "TO_TIMESTAMP(" + e() + (", 'yyyy-MM-dd HH:mm:ss'" if self.p(0.5) else "") + ")"),
            (1, lambda: "TO_TIMESTAMP_LTZ(" + e() + ", 3)"),
            (1, lambda: "FROM_UNIXTIME(" + e() + ")"),
            (1, lambda: "UNIX_TIMESTAMP(" + (e() if self.p(0.5) else "") + ")"),
            (1, lambda: "TIMESTAMPADD(" + self.pick(["HOUR", "DAY", "MINUTE", "SECOND"]) + ", 1, " + self.qcol() + ")"),
            (1, lambda: "TIMESTAMPDIFF(" + self.pick(["HOUR", "DAY", "MINUTE"]) + ", " + self.qcol() + ", " + self.qcol() + ")"),
            (1, lambda: self.pick(["CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "CURRENT_DATE", "CURRENT_TIME",
                                   "NOW()", "PROCTIME()", "CURRENT_ROW_TIMESTAMP()", "UUID()", "RAND()",
                                   "CURRENT_WATERMARK(" + self.col() + ")"])),
            (2, self.json_func),
            (1, lambda: self.pick(FUNCS) + "(" + self.some(e, 0, 3) + ")"),
            (1, lambda: self.pick(CATALOGS) + "." + self.pick(DATABASES) + "." + self.pick(FUNCS) + "(" + e() + ")"),
            (1, lambda: "REGEXP_EXTRACT(" + e() + ", '(\\d+)', 1)"),
            (1, lambda: "SPLIT_INDEX(" + e() + ", ',', 0)"),
            (1, lambda: "STR_TO_MAP(" + e() + ")"),
            (1, lambda: "DATE_ADD(" + self.qcol() + ", 1)"),
            (1, lambda: "ARRAY_CONTAINS(" + self.qcol() + ", " + e() + ")"),
            (1, lambda: "CARDINALITY(" + self.qcol() + ")"),
            (1, lambda: "ELEMENT(" + self.qcol() + ")"),
        ])

    def json_func(self):
        e = self.expr
        path = self.str_lit(["$.a", "$.user.id", "$[0]", "$.items[*].price", "lax $.a", "strict $.b"])
        return self.weighted([
            (3, lambda: "JSON_VALUE(" + self.qcol() + ", " + path
             + (" RETURNING " + self.pick(["INT", "STRING", "DOUBLE", "BIGINT", "BOOLEAN"]) if self.p(0.4) else "")
             + (" " + self.pick(["NULL", "ERROR", "DEFAULT 0"]) + " ON EMPTY" if self.p(0.3) else "")
             + (" " + self.pick(["NULL", "ERROR", "DEFAULT ''"]) + " ON ERROR" if self.p(0.2) else "") + ")"),
            (2, lambda: "JSON_QUERY(" + self.qcol() + ", " + path
             + (" " + self.pick(["WITHOUT ARRAY WRAPPER", "WITH ARRAY WRAPPER", "WITH CONDITIONAL ARRAY WRAPPER",
                                 "WITH UNCONDITIONAL WRAPPER"]) if self.p(0.4) else "")
             + (" RETURNING ARRAY<STRING>" if self.p(0.15) else "") + ")"),
            (1, lambda: "JSON_EXISTS(" + self.qcol() + ", " + path + (" FALSE ON ERROR" if self.p(0.3) else "") + ")"),
            (2, lambda: "JSON_OBJECT(" + self.some(lambda: self.pick(["KEY ", ""]) + self.str_lit(["a", "b", "id"])
                                                   + self.pick([" VALUE ", " : ", ", "]) + e(), 0, 3)
             + (" " + self.pick(["NULL ON NULL", "ABSENT ON NULL"]) if self.p(0.3) else "") + ")"),
            (1, lambda: "JSON_ARRAY(" + self.some(e, 0, 3) + (" ABSENT ON NULL" if self.p(0.3) else "") + ")"),
            (1, lambda: "JSON_STRING(" + e() + ")"),
            (1, lambda: "JSON_QUOTE(" + e() + ")"),
            (1, lambda: self.qcol() + " IS " + self.pick(["", "NOT "]) + "JSON" + self.pick(["", " OBJECT", " ARRAY", " SCALAR", " VALUE"])),
        ])

    def agg(self):
        e = self.expr
        a = self.weighted([
            (3, lambda: "COUNT(*)"),
            (2, lambda: "COUNT(" + self.pick(["DISTINCT ", ""]) + self.qcol() + ")"),
            (3, lambda: self.pick(["SUM", "AVG", "MIN", "MAX", "FIRST_VALUE", "LAST_VALUE", "STDDEV_POP",
                                   "VAR_SAMP", "APPROX_COUNT_DISTINCT", "COLLECT", "ARRAY_AGG"]) + "(" + e() + ")"),
            (1, lambda: "LISTAGG(" + self.qcol() + (", ','" if self.p(0.6) else "") + ")"),
            (1, lambda: "JSON_ARRAYAGG(" + self.qcol() + ")"),
            (1, lambda: "JSON_OBJECTAGG(KEY " + self.qcol() + " VALUE " + self.qcol() + ")"),
        ])
        if self.p(0.1):
            a += " FILTER (WHERE " + self.cond() + ")"
        return a

    def case(self):
        if self.p(0.5):
            s = "CASE " + self.some(lambda: "WHEN " + self.cond() + " THEN " + self.expr(), 1, 3, " ")
        else:
            s = "CASE " + self.qcol() + " " + self.some(lambda: "WHEN " + self.literal() + " THEN " + self.expr(), 1, 3, " ")
        if self.p(0.6):
            s += " ELSE " + self.expr()
        return s + " END"

    def expr(self):
        self.depth += 1
        try:
            if self.depth > 3:
                return self.pick([self.qcol, self.literal])()
            return self.weighted([
                (6, self.qcol),
                (4, self.literal),
                (4, self.func_call),
                (2, self.case),
                (3, lambda: self.expr() + " " + self.pick(["+", "-", "*", "/", "%", "||"]) + " " + self.expr()),
                (1, lambda: "(" + self.expr() + ")"),
                (1, lambda: "-" + self.qcol()),
                (1, lambda: self.qcol() + " " + self.pick(["+", "-"]) + " " + self.interval()),
                (1, lambda: "ROW(" + self.some(self.expr, 1, 3) + ")"),
                (1, lambda: "ARRAY[" + self.some(self.expr, 1, 3) + "]"),
                (1, lambda: "MAP[" + self.str_lit() + ", " + self.expr() + "]"),
                (1, lambda: self.qcol() + "[" + self.pick(["1", "'k'", "2"]) + "]"),
                (1, lambda: "(" + self.qcol() + ")." + self.col()),
                (1 if self.depth <= 2 else 0, lambda: "(" + self.query(simple=True) + ")"),
            ])
        finally:
            self.depth -= 1

    def cond(self):
        self.depth += 1
        try:
            if self.depth > 3:
                return self.qcol() + " = " + self.literal()
            return self.weighted([
                (6, lambda: self.expr() + " " + self.pick(["=", "<>", "<", ">", "<=", ">=", "!="]) + " " + self.expr()),
                (2, lambda: self.cond() + " " + self.pick(["AND", "OR"]) + " " + self.cond()),
                (1, lambda: "NOT " + self.cond()),
                (1, lambda: "(" + self.cond() + ")"),
                (2, lambda: self.qcol() + " IS " + self.pick(["", "NOT "]) + self.pick(["NULL", "TRUE", "FALSE", "UNKNOWN"])),
                (1, lambda: self.expr() + self.pick([" ", " NOT "]) + "BETWEEN " + self.pick(["", "SYMMETRIC ", "ASYMMETRIC "])
                 + self.expr() + " AND " + self.expr()),
                (2, lambda: self.qcol() + self.pick([" ", " NOT "]) + "IN (" + self.some(self.literal, 1, 4) + ")"),
                (1 if self.depth <= 2 else 0, lambda: self.qcol() + " IN (" + self.query(simple=True) + ")"),
                (2, lambda: self.qcol() + self.pick([" ", " NOT "]) + "LIKE " + self.str_lit(["%a%", "a_", "x!%"])
                 + (" ESCAPE '!'" if self.p(0.2) else "")),
                (1, lambda: self.qcol() + " SIMILAR TO '(a|b)%'"),
                (1 if self.depth <= 2 else 0, lambda: self.pick(["", "NOT "]) + "EXISTS (" + self.query(simple=True) + ")"),
                (1, lambda: self.expr() + " IS " + self.pick(["", "NOT "]) + "DISTINCT FROM " + self.expr()),
                (1 if self.depth <= 2 else 0, lambda: self.qcol() + " " + self.pick(["=", ">"]) + " " + self.pick(["ANY", "ALL", "SOME"])
                 + " (" + self.query(simple=True) + ")"),
            ])
        finally:
            self.depth -= 1

    # -- queries ------------------------------------------------------------------------------
    def select_item(self):
        x = self.r.random()
        if x < 0.08:
            return "*"
        if x < 0.12:
            return self.pick(ALIASES) + ".*"
        e = self.expr()
        if self.p(0.4):
            e += self.pick([" AS ", " "]) + self.pick(COLUMNS + ["total", "cnt", "`value`", "`user`", "w_start"])
        return e

    def hint(self):
        return self.pick([
            "/*+ OPTIONS('scan.startup.mode' = 'latest-offset') */",
            "/*+ OPTIONS('sink.parallelism' = '2', 'lookup.cache' = 'NONE') */",
            "/*+ LOOKUP('table' = 'd', 'retry-predicate' = 'lookup_miss', 'retry-strategy' = 'fixed_delay', 'fixed-delay' = '10s', 'max-attempts' = '3') */",
            "/*+ BROADCAST(d) */", "/*+ SHUFFLE_HASH(o, d) */", "/*+ STATE_TTL('o' = '1d', 'd' = '12h') */",
            "/*+ JSON_AGGREGATE */", "/*+ */",
        ])

    def table_ref(self):
        self.depth += 1
        try:
            t = self.weighted([
                (8, self.table),
                (2, lambda: "(" + self.query(simple=True) + ")"),
                (2, self.window_tvf),
                (1, lambda: "UNNEST(" + self.qcol() + ")"),
                (1, lambda: "LATERAL TABLE(" + self.pick(FUNCS) + "(" + self.qcol() + "))"),
                (1, lambda: "(VALUES " + self.some(lambda: "(" + self.some(self.literal, 2, 2) + ")", 1, 3) + ")"),
            ])
            if t.startswith(("(", "UNNEST", "LATERAL")) or self.p(0.5):
                t += self.pick([" AS ", " "]) + self.pick(ALIASES)
                if t.startswith(("UNNEST", "LATERAL", "(VALUES")) and self.p(0.6):
                    t += "(" + self.some(self.col, 1, 2) + ")"
            elif self.p(0.07):
                t += " " + self.hint()
            return t
        finally:
            self.depth -= 1

    def window_tvf(self):
        tbl = "TABLE " + self.table()
        desc = "DESCRIPTOR(" + self.pick(["ts", "event_time", "proc_time", "rowtime"]) + ")"
        kind = self.pick(["TUMBLE", "TUMBLE", "HOP", "CUMULATE", "SESSION"])
        if kind == "TUMBLE":
            args = [tbl, desc, self.interval()]
        elif kind == "HOP" or kind == "CUMULATE":
            args = [tbl, desc, self.interval(), self.interval()]
        else:
            if self.p(0.5):
                tbl += " PARTITION BY " + self.col()
            args = [tbl, desc, self.interval()]
        if self.p(0.15):
            names = {"TUMBLE": ["DATA", "TIMECOL", "SIZE"], "HOP": ["DATA", "TIMECOL", "SLIDE", "SIZE"],
                     "CUMULATE": ["DATA", "TIMECOL", "STEP", "SIZE"], "SESSION": ["DATA", "TIMECOL", "GAP"]}[kind]
            args = [n + " => " + a for n, a in zip(names, args)]
        if self.p(0.1):
            args.append(self.interval())  # offset
        return "TABLE(" + kind + "(" + ", ".join(args) + "))"

    def from_clause(self):
        f = self.table_ref()
        for _ in range(self.r.choice([0, 0, 0, 1, 1, 2])):
            f += " " + self.weighted([
                (4, lambda: self.pick(["JOIN", "INNER JOIN", "LEFT JOIN", "LEFT OUTER JOIN", "RIGHT JOIN",
                                       "FULL OUTER JOIN", "FULL JOIN"]) + " " + self.table_ref() + " ON " + self.cond()),
                (2, lambda: self.pick(["JOIN", "LEFT JOIN"]) + " " + self.table() + " FOR SYSTEM_TIME AS OF "
                 + self.pick(ALIASES) + "." + self.pick(["proc_time", "event_time", "ts"]) + self.pick([" AS ", " "])
                 + self.pick(ALIASES) + " ON " + self.cond()),
                (1, lambda: "CROSS JOIN " + self.table_ref()),
                (1, lambda: "CROSS JOIN UNNEST(" + self.qcol() + ") AS " + self.pick(ALIASES) + " (" + self.col() + ")"),
                (1, lambda: self.pick(["LEFT JOIN", "JOIN"]) + " LATERAL TABLE(" + self.pick(FUNCS) + "(" + self.qcol()
                 + ")) AS " + self.pick(ALIASES) + "(" + self.col() + ") ON TRUE"),
                (1, lambda: ", " + self.table_ref()),
                (1, lambda: "JOIN " + self.table_ref() + " USING (" + self.some(self.col, 1, 2) + ")"),
                (1, lambda: "NATURAL JOIN " + self.table_ref()),
            ]).replace(" , ", ", ")
        return f

    def over(self):
        w = "PARTITION BY " + self.some(self.qcol, 1, 2) if self.p(0.8) else ""
        w += (" " if w else "") + "ORDER BY " + self.pick(["ts", "proc_time", "event_time"]) + self.pick(["", " ASC", " DESC"])
        if self.p(0.5):
            w += " " + self.pick([
                "ROWS BETWEEN " + str(self.r.randint(1, 100)) + " PRECEDING AND CURRENT ROW",
                "RANGE BETWEEN " + self.interval() + " PRECEDING AND CURRENT ROW",
                "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
                "RANGE UNBOUNDED PRECEDING",
                "ROWS 10 PRECEDING",
            ])
        return "(" + w + ")"

    def query(self, simple=False):
        self.depth += 1
        try:
            if simple or self.depth > 2:
                return self.simple_select()
            q = self.weighted([
                (8, self.simple_select),
                (3, self.agg_select),
                (2, self.window_select),
                (1, self.group_window_select),
                (2, self.over_select),
                (2, self.dedup_select),
                (1, self.match_recognize),
                (1, lambda: self.simple_select() + " " + self.pick(["UNION ALL", "UNION", "INTERSECT", "EXCEPT",
                                                                   "UNION DISTINCT", "EXCEPT ALL", "MINUS"]) + " " + self.simple_select()),
                (1, lambda: "VALUES " + self.some(lambda: "(" + self.some(self.literal, 1, 3) + ")", 1, 3)),
                (1, lambda: "(" + self.simple_select() + ")"),
            ])
            if self.p(0.12):
                q = "WITH " + self.some(lambda: self.pick(["t1", "t2", "base", "agg", "w"]) + (" (" + self.some(self.col, 1, 2) + ")" if self.p(0.2) else "")
                                         + " AS (" + self.query(simple=True) + ")", 1, 2) + " " + q
            return q
        finally:
            self.depth -= 1

    def tail(self, q):
        if self.p(0.1):
            q += " ORDER BY " + self.some(lambda: self.qcol() + self.pick(["", " ASC", " DESC", " DESC NULLS LAST"]), 1, 2)
        x = self.r.random()
        if x < 0.08:
            q += " LIMIT " + str(self.r.randint(1, 100))
        elif x < 0.1:
            q += " FETCH FIRST " + str(self.r.randint(1, 9)) + " ROWS ONLY"
        elif x < 0.11:
            q += " OFFSET 5 ROWS"
        return q

    def simple_select(self):
        q = "SELECT " + self.pick(["", "", "", "", "DISTINCT ", "ALL "]) + self.some(self.select_item, 1, 4)
        if self.p(0.95):
            q += " FROM " + self.from_clause()
        if self.p(0.45):
            q += " WHERE " + self.cond()
        return self.tail(q)

    def agg_select(self):
        keys = [self.qcol() for _ in range(self.r.randint(1, 3))]
        q = "SELECT " + ", ".join(keys + [self.agg() + (" AS " + self.pick(["cnt", "total", "s"]) if self.p(0.5) else "")
                                          for _ in range(self.r.randint(1, 3))])
        q += " FROM " + self.from_clause()
        if self.p(0.3):
            q += " WHERE " + self.cond()
        g = ", ".join(keys)
        if self.p(0.08):
            g = self.pick(["GROUPING SETS ((" + g + "), ())", "ROLLUP (" + g + ")", "CUBE (" + g + ")"])
        q += " GROUP BY " + g
        if self.p(0.3):
            q += " HAVING " + self.agg() + " > " + str(self.r.randint(0, 10))
        return self.tail(q)

    def window_select(self):
        keys = ["window_start", "window_end"] + ([self.col()] if self.p(0.6) else [])
        if self.p(0.15):
            keys.append("window_time")
        q = "SELECT " + ", ".join(keys) + ", " + self.some(self.agg, 1, 2)
        q += " FROM " + self.window_tvf()
        if self.p(0.2):
            q += " WHERE " + self.cond()
        q += " GROUP BY " + ", ".join(keys)
        if self.p(0.1):
            q = "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY cnt DESC) AS rn FROM (" + q + ")) WHERE rn <= 3"
        return q

    def group_window_select(self):
        fn = self.pick(["TUMBLE", "HOP", "SESSION"])
        ts = self.pick(["ts", "event_time", "proc_time"])
        args = ts + ", " + self.interval() + (", " + self.interval() if fn == "HOP" else "")
        return ("SELECT " + self.col() + ", " + fn + "_START(" + args + ") AS wstart, " + fn + "_END(" + args + "), "
                + self.agg() + " FROM " + self.table() + " GROUP BY " + self.col() + ", " + fn + "(" + args + ")")

    def over_select(self):
        items = [self.qcol()]
        for _ in range(self.r.randint(1, 2)):
            fn = self.pick(["SUM(" + self.col() + ")", "COUNT(*)", "AVG(" + self.col() + ")", "MAX(" + self.col() + ")",
                            "ROW_NUMBER()", "RANK()", "DENSE_RANK()", "LAG(" + self.col() + ", 1)", "LEAD(" + self.col() + ")"])
            items.append(fn + " OVER " + (self.over() if self.p(0.8) else "w") + " AS " + self.pick(["s", "c", "r", "m"]))
        q = "SELECT " + ", ".join(items) + " FROM " + self.table()
        if any(i.endswith(" OVER w AS " + a) for i in items for a in "scrm"):
            q += " WINDOW w AS " + self.over()
        return q

    def dedup_select(self):
        order = self.pick(["proc_time", "ts", "event_time"]) + self.pick([" ASC", " DESC", ""])
        inner = ("SELECT *, ROW_NUMBER() OVER (PARTITION BY " + self.some(self.col, 1, 2) + " ORDER BY " + order
                 + ") AS " + self.pick(["rn", "row_num", "rownum"]) + " FROM " + self.table())
        rn = inner.rsplit(" AS ", 1)[1].split(" ")[0]
        cond = rn + " " + self.pick(["= 1", "<= 3", "< 10", "= 1 AND " + self.cond()])
        return "SELECT " + self.pick(["*", self.some(self.col, 1, 3)]) + " FROM (" + inner + ")" + self.pick([" ", " AS t ", " t "]) + "WHERE " + cond

    def match_recognize(self):
        return ("SELECT * FROM " + self.table() + " MATCH_RECOGNIZE (PARTITION BY " + self.col()
                + " ORDER BY " + self.pick(["ts", "proc_time", "event_time"])
                + " MEASURES " + self.pick(["A.ts AS start_ts", "FIRST(A.price) AS first_p, LAST(B.price) AS last_p",
                                            "MATCH_ROWTIME() AS mt", "COUNT(B.id) AS n"])
                + self.pick([" ONE ROW PER MATCH", "", " ALL ROWS PER MATCH"])
                + self.pick([" AFTER MATCH SKIP PAST LAST ROW", " AFTER MATCH SKIP TO NEXT ROW", " AFTER MATCH SKIP TO LAST B", ""])
                + " PATTERN (" + self.pick(["A B+ C", "A B* C?", "A{2,} B", "A B+? C", "(A | B) C", "A B{3}"]) + ")"
                + (" WITHIN " + self.interval() if self.p(0.3) else "")
                + " DEFINE " + self.pick(["B AS B.price < A.price", "A AS A.qty > 10, B AS B.qty < PREV(B.qty)",
                                           "C AS C.price > LAST(B.price, 1)"])
                + ")" + self.pick([" AS T", " T", ""]))

    # -- DDL ----------------------------------------------------------------------------------
    def options(self, connector=None):
        c = connector or self.pick(CONNECTORS)
        opts = [("connector", c)]
        fmt = self.pick(["json", "csv", "avro", "debezium-json", "canal-json", "parquet", "orc", "raw", "maxwell-json"])
        extra = {
            "kafka": [("topic", "orders"), ("properties.bootstrap.servers", "kafka:9092"), ("properties.group.id", "g1"),
                      ("scan.startup.mode", "earliest-offset"), ("format", fmt), ("json.ignore-parse-errors", "true"),
                      ("scan.topic-partition-discovery.interval", "10s")],
            "upsert-kafka": [("topic", "out"), ("properties.bootstrap.servers", "kafka:9092"), ("key.format", "json"),
                             ("value.format", "json"), ("sink.buffer-flush.interval", "1s")],
            "jdbc": [("url", "jdbc:mysql://db:3306/shop?useSSL=false"), ("table-name", "orders"), ("username", "root"),
                     ("password", "secret"), ("lookup.cache.max-rows", "5000"), ("lookup.cache.ttl", "10min"),
                     ("sink.buffer-flush.max-rows", "100")],
            "mysql-cdc": [("hostname", "mysql"), ("port", "3306"), ("username", "flink"), ("password", "pw"),
                          ("database-name", "shop"), ("table-name", "orders.*"), ("server-id", "5400-5404"),
                          ("scan.incremental.snapshot.enabled", "true"), ("server-time-zone", "Asia/Shanghai")],
            "postgres-cdc": [("hostname", "pg"), ("database-name", "postgres"), ("schema-name", "public"),
                             ("table-name", "t"), ("slot.name", "flink"), ("decoding.plugin.name", "pgoutput")],
            "filesystem": [("path", "hdfs:///warehouse/orders"), ("format", fmt),
                           ("sink.partition-commit.policy.kind", "metastore,success-file"),
                           ("partition.time-extractor.timestamp-pattern", "$dt $hr:00:00"),
                           ("sink.rolling-policy.file-size", "128MB"), ("sink.partition-commit.trigger", "partition-time")],
            "doris": [("fenodes", "doris-fe:8030"), ("table.identifier", "db.tbl"), ("username", "root"), ("password", ""),
                      ("sink.label-prefix", "doris_label"), ("sink.properties.format", "json")],
            "hbase-2.2": [("table-name", "dim_user"), ("zookeeper.quorum", "zk1:2181,zk2:2181"),
                          ("zookeeper.znode.parent", "/hbase"), ("lookup.async", "true")],
            "hive": [("partition.time-extractor.timestamp-pattern", "$dt $hr:00:00"), ("sink.partition-commit.policy.kind", "metastore"),
                     ("streaming-source.enable", "true"), ("streaming-source.partition.include", "latest")],
            "datagen": [("rows-per-second", "10"), ("fields.id.kind", "sequence"), ("fields.id.start", "1"),
                        ("fields.id.end", "1000"), ("number-of-rows", "100")],
            "print": [("print-identifier", "out"), ("standard-error", "false")],
            "blackhole": [],
            "elasticsearch-7": [("hosts", "http://es:9200"), ("index", "orders-{ts|yyyy-MM-dd}")],
            "paimon": [("path", "s3://bucket/paimon"), ("bucket", "4"), ("changelog-producer", "input")],
        }[c]
        for kv in extra:
            if self.p(0.6):
                opts.append(kv)
        if self.p(0.05):
            opts = opts[1:]  # no connector at all (fine for a catalog table)
        self.r.shuffle(opts)
        sep = self.pick([" = ", "=", " =", "= "])
        body = self.pick([", ", ",\n  ", ",\n"]).join("'" + k + "'" + sep + "'" + v + "'" for k, v in opts)
        if self.p(0.5):
            return "WITH (\n  " + body + "\n)"
        return "WITH (" + body + ")"

    def column_def(self):
        x = self.r.random()
        name = self.col()
        if x < 0.62:
            c = name + " " + self.dtype()
            if self.p(0.06):
                c += " PRIMARY KEY NOT ENFORCED"
        elif x < 0.78:
            c = name + " AS " + self.pick(["PROCTIME()", self.expr(), "TO_TIMESTAMP_LTZ(" + self.col() + ", 3)",
                                           "CAST(" + self.col() + " AS TIMESTAMP(3))"])
        else:
            c = name + " " + self.pick(["TIMESTAMP_LTZ(3)", "TIMESTAMP(3)", "INT", "BIGINT", "STRING", "MAP<STRING, BYTES>"]) + " METADATA"
            if self.p(0.6):
                c += " FROM " + self.str_lit(["timestamp", "partition", "offset", "headers", "topic", "value.source.timestamp",
                                              "op_ts", "database_name", "table_name"])
            if self.p(0.5):
                c += " VIRTUAL"
        if self.p(0.12):
            c += " COMMENT " + self.str_lit(["id", "the amount", "业务时间", "it''s"])
        return c

    def create_table(self):
        s = "CREATE " + self.pick(["", "", "", "TEMPORARY ", "OR REPLACE "]) + "TABLE " + self.pick(["", "", "IF NOT EXISTS "]) + self.table()
        cols = [self.column_def() for _ in range(self.r.randint(1, 7))]
        if self.p(0.5):
            ts = self.pick(["ts", "event_time", "rowtime"])
            wm = "WATERMARK FOR " + ts + " AS " + self.pick([ts + " - " + self.interval(), ts, ts + " - INTERVAL '0.001' SECOND",
                                                             "CAST(" + ts + " AS TIMESTAMP(3))"])
            cols.append(wm)
        if self.p(0.35):
            cols.append(self.pick(["", "CONSTRAINT pk "]) + "PRIMARY KEY (" + self.some(self.col, 1, 2) + ")"
                        + self.pick([" NOT ENFORCED", " NOT ENFORCED", " NOT ENFORCED", "", " ENFORCED"]))
        sep = self.pick([", ", ",\n  "])
        if self.p(0.04):
            body = ""
        else:
            body = " (" + ("\n  " if "\n" in sep else "") + sep.join(cols) + ("\n" if "\n" in sep else "") + ")"
        s += body
        if self.p(0.1):
            s += " COMMENT " + self.str_lit(["orders from kafka", "dim table"])
        if self.p(0.05):
            s += " DISTRIBUTED BY " + self.pick(["HASH", "RANGE", ""]) + "(" + self.col() + ")" + self.pick(["", " INTO 4 BUCKETS"])
        if self.p(0.2):
            s += " PARTITIONED BY (" + self.some(self.col, 1, 2) + ")"
        if self.p(0.92):
            s += "\n" + self.options()
        if self.p(0.1):
            s += "\nLIKE " + self.table() + (" (" + self.some(lambda: self.pick(["INCLUDING", "EXCLUDING", "OVERWRITING"]) + " "
                                                              + self.pick(["ALL", "OPTIONS", "WATERMARKS", "PARTITIONS",
                                                                           "GENERATED", "CONSTRAINTS", "METADATA"]), 1, 2, " ") + ")"
                                              if self.p(0.7) else "")
        elif self.p(0.08):
            s += "\nAS " + self.query()
        return s

    def ctas(self):
        return ("CREATE " + self.pick(["", "OR REPLACE ", "TEMPORARY "]) + "TABLE " + self.pick(["", "IF NOT EXISTS "]) + self.table()
                + (" " + self.options() if self.p(0.8) else "") + " AS " + self.query())

    def create_view(self):
        return ("CREATE " + self.pick(["", "TEMPORARY ", "OR REPLACE ", "TEMPORARY "]) + "VIEW " + self.pick(["", "IF NOT EXISTS "])
                + self.table() + (" (" + self.some(self.col, 1, 3) + ")" if self.p(0.2) else "")
                + (" COMMENT 'v'" if self.p(0.1) else "") + " AS " + self.query())

    def create_function(self):
        s = ("CREATE " + self.pick(["", "TEMPORARY ", "TEMPORARY SYSTEM ", "OR REPLACE "]) + "FUNCTION "
             + self.pick(["", "IF NOT EXISTS "]) + self.pick(["", "", "my_catalog.db1."]) + self.pick(FUNCS)
             + " AS " + self.str_lit(CLASSES))
        if self.p(0.4):
            s += " LANGUAGE " + self.pick(["JAVA", "SCALA", "PYTHON", "SQL"])
        if self.p(0.3):
            s += " USING " + self.some(lambda: "JAR " + self.str_lit(["hdfs:///udf/udf.jar", "/opt/udf.jar", "oss://b/x.jar"]), 1, 2)
        return s

    def create_catalog(self):
        t = self.pick(["hive", "jdbc", "paimon", "iceberg", "generic_in_memory", "mysql"])
        opts = {"hive": ["'type' = 'hive'", "'hive-conf-dir' = '/opt/hive/conf'", "'default-database' = 'ods'"],
                "jdbc": ["'type' = 'jdbc'", "'base-url' = 'jdbc:mysql://db:3306'", "'username' = 'root'", "'password' = 'x'"],
                "paimon": ["'type' = 'paimon'", "'warehouse' = 'hdfs:///paimon'"],
                "iceberg": ["'type' = 'iceberg'", "'catalog-type' = 'hive'", "'uri' = 'thrift://hms:9083'"],
                "generic_in_memory": ["'type' = 'generic_in_memory'"],
                "mysql": ["'type' = 'mysql'", "'hostname' = 'db'"]}[t]
        s = "CREATE CATALOG " + self.pick(["", "IF NOT EXISTS "]) + self.pick(CATALOGS)
        if self.p(0.1):
            s += " COMMENT 'lake'"
        return s + " WITH (" + ", ".join(o for i, o in enumerate(opts) if i == 0 or self.p(0.7)) + ")"

    def create_database(self):
        s = "CREATE DATABASE " + self.pick(["", "IF NOT EXISTS "]) + self.pick(["", self.pick(CATALOGS) + "."]) + self.pick(DATABASES)
        if self.p(0.3):
            s += " COMMENT " + self.str_lit(["ods layer", "db"])
        if self.p(0.3):
            s += " WITH ('owner' = 'data-team')"
        return s

    def create_other(self):
        return self.weighted([
            (2, lambda: "CREATE MATERIALIZED TABLE " + self.table() + (" PARTITIONED BY (dt)" if self.p(0.3) else "")
             + (" WITH ('format' = 'json')" if self.p(0.5) else "") + " FRESHNESS = " + self.interval()
             + (" REFRESH_MODE = " + self.pick(["FULL", "CONTINUOUS"]) if self.p(0.3) else "") + " AS " + self.query(simple=True)),
            (1, lambda: "CREATE " + self.pick(["", "TEMPORARY "]) + "MODEL " + self.pick(["m1", "sentiment"])
             + " INPUT (text STRING) OUTPUT (label STRING) WITH ('provider' = 'openai', 'task' = 'classification')"),
            (1, lambda: "CREATE TABLE " + self.table() + " (" + self.column_def() + ") WITH ('connector' = 'kafka') LIKE " + self.table()),
        ])

    def alter(self):
        t = self.table()
        return self.weighted([
            (2, lambda: "ALTER TABLE " + self.pick(["", "IF EXISTS "]) + t + " RENAME TO " + self.pick(TABLES)),
            (2, lambda: "ALTER TABLE " + t + " SET (" + self.some(lambda: self.str_lit(["k", "scan.startup.mode", "sink.parallelism"]) + " = " + self.str_lit(), 1, 2) + ")"),
            (1, lambda: "ALTER TABLE " + t + " RESET (" + self.some(lambda: self.str_lit(["k", "scan.startup.mode"]), 1, 2) + ")"),
            (2, lambda: "ALTER TABLE " + t + " ADD " + self.pick(["", "COLUMN "]) + self.column_def() + self.pick(["", "", " FIRST", " AFTER " + self.col()])),
            (1, lambda: "ALTER TABLE " + t + " ADD (" + self.some(self.column_def, 1, 2) + (", WATERMARK FOR ts AS ts" if self.p(0.3) else "") + ")"),
            (1, lambda: "ALTER TABLE " + t + " MODIFY " + self.column_def()),
            (1, lambda: "ALTER TABLE " + t + " MODIFY WATERMARK FOR ts AS ts - " + self.interval()),
            (1, lambda: "ALTER TABLE " + t + " ADD " + self.pick(["CONSTRAINT pk ", ""]) + "PRIMARY KEY (" + self.col() + ") NOT ENFORCED"),
            (1, lambda: "ALTER TABLE " + t + " DROP " + self.pick(["PRIMARY KEY", "WATERMARK", self.col(), "(" + self.some(self.col, 1, 2) + ")", "CONSTRAINT pk", "COLUMN " + self.col()])),
            (1, lambda: "ALTER TABLE " + t + " RENAME " + self.col() + " TO " + self.col()),
            (1, lambda: "ALTER TABLE " + t + " ADD DISTRIBUTION BY HASH(" + self.col() + ") INTO 8 BUCKETS"),
            (1, lambda: "ALTER TABLE " + t + " COMPACT"),
            (1, lambda: "ALTER VIEW " + t + self.pick([" RENAME TO v2", " AS " + self.query(simple=True)])),
            (1, lambda: "ALTER DATABASE " + self.pick(DATABASES) + " SET ('k' = 'v')"),
            (1, lambda: "ALTER " + self.pick(["", "TEMPORARY ", "TEMPORARY SYSTEM "]) + "FUNCTION " + self.pick(["", "IF EXISTS "]) + self.pick(FUNCS) + " AS " + self.str_lit(CLASSES)),
            (1, lambda: "ALTER CATALOG " + self.pick(CATALOGS) + self.pick([" SET ('default-database' = 'ods')", " RESET ('k')", " COMMENT 'c'"])),
            (1, lambda: "ALTER MATERIALIZED TABLE " + t + self.pick([" SUSPEND", " RESUME", " REFRESH", " REFRESH PARTITION (dt = '2024-01-01')",
                                                                     " AS " + self.query(simple=True)])),
        ])

    def drop(self):
        what = self.pick(["TABLE", "TEMPORARY TABLE", "VIEW", "TEMPORARY VIEW", "FUNCTION", "TEMPORARY FUNCTION",
                          "TEMPORARY SYSTEM FUNCTION", "DATABASE", "CATALOG", "MATERIALIZED TABLE", "MODEL"])
        name = {"DATABASE": self.pick(DATABASES), "CATALOG": self.pick(CATALOGS)}.get(what) or (
            self.pick(FUNCS) if "FUNCTION" in what else self.table())
        s = "DROP " + what + " " + self.pick(["", "", "IF EXISTS "]) + name
        if what == "DATABASE" and self.p(0.4):
            s += self.pick([" CASCADE", " RESTRICT"])
        return s

    # -- DML ----------------------------------------------------------------------------------
    def insert(self):
        s = "INSERT " + self.pick(["INTO", "INTO", "INTO", "OVERWRITE"]) + " " + self.table()
        if self.p(0.05):
            s += " " + self.hint()
        if self.p(0.12):
            s += " PARTITION (" + self.some(lambda: self.pick(["dt", "hr", "region"]) + " = " + self.str_lit(["2024-01-01", "10", "cn"]), 1, 2) + ")"
        if self.p(0.15):
            s += " (" + self.some(self.col, 1, 3) + ")"
        if self.p(0.12):
            return s + " VALUES " + self.some(lambda: "(" + self.some(self.literal, 1, 3) + ")", 1, 3)
        return s + " " + self.pick(["", "", "\n"]) + self.query()

    def statement_set(self):
        ins = [self.insert() for _ in range(self.r.randint(1, 3))]
        x = self.r.random()
        if x < 0.5:
            return "EXECUTE STATEMENT SET\nBEGIN\n" + "".join(i + ";\n" for i in ins) + "END"
        if x < 0.8:
            return "BEGIN STATEMENT SET;\n" + "".join(i + ";\n" for i in ins) + "END"
        return "STATEMENT SET BEGIN " + "; ".join(ins) + "; END"

    def dml_other(self):
        return self.weighted([
            (2, lambda: "EXECUTE " + self.insert()),
            (1, lambda: "EXECUTE " + self.query(simple=True)),
            (1, lambda: "EXECUTE PLAN " + self.str_lit(["/tmp/plan.json", "hdfs:///plans/p1.json"])),
            (1, lambda: "COMPILE PLAN " + self.str_lit(["/tmp/plan.json"]) + self.pick(["", " IF NOT EXISTS"]) + " FOR " + self.insert()),
            (1, lambda: "COMPILE AND EXECUTE PLAN '/tmp/plan.json' FOR " + self.insert()),
            (1, lambda: "DELETE FROM " + self.table() + (" WHERE " + self.cond() if self.p(0.7) else "")),
            (1, lambda: "UPDATE " + self.table() + " SET " + self.some(lambda: self.col() + " = " + self.expr(), 1, 2)
             + (" WHERE " + self.cond() if self.p(0.7) else "")),
            (1, lambda: "TRUNCATE TABLE " + self.table()),
        ])

    # -- commands -----------------------------------------------------------------------------
    def set_reset(self):
        k, v = self.pick(CONFIG_KEYS), self.pick(CONFIG_VALUES)
        return self.weighted([
            (5, lambda: "SET '" + k + "' = '" + v + "'"),
            (2, lambda: "SET " + k + " = " + v),
            (1, lambda: "SET " + k + "=" + v),
            (1, lambda: "SET '" + k + "'='" + v + "'"),
            (1, lambda: "SET"),
            (1, lambda: "SET '" + k + "'"),
            (2, lambda: "RESET '" + k + "'"),
            (1, lambda: "RESET " + k),
            (1, lambda: "RESET"),
        ])

    def command(self):
        return self.weighted([
            (2, lambda: self.pick(["ADD JAR ", "REMOVE JAR "]) + self.str_lit(["/opt/udf.jar", "hdfs:///jars/x.jar", "file:///tmp/a b.jar"])),
            (1, lambda: "SHOW JARS"),
            (6, lambda: "SHOW " + self.pick(["CATALOGS", "DATABASES", "TABLES", "VIEWS", "FUNCTIONS", "USER FUNCTIONS",
                                             "MODULES", "FULL MODULES", "CURRENT CATALOG", "CURRENT DATABASE", "JOBS",
                                             "PROCEDURES", "MATERIALIZED TABLES", "MODELS", "PARTITIONS " + self.table(),
                                             "CREATE TABLE " + self.table(), "CREATE VIEW " + self.table(),
                                             "CREATE CATALOG " + self.pick(CATALOGS), "CREATE MATERIALIZED TABLE " + self.table(),
                                             "COLUMNS FROM " + self.table(), "COLUMNS IN " + self.table() + " LIKE '%id'",
                                             "TABLES FROM " + self.pick(DATABASES), "TABLES IN " + self.pick(DATABASES) + " NOT LIKE 'tmp%'",
                                             "TABLES LIKE 'ord%'", "DATABASES FROM " + self.pick(CATALOGS),
                                             "FUNCTIONS LIKE 'my%'", "CATALOGS LIKE 'h%'", "PROCEDURES FROM " + self.pick(CATALOGS) + ".sys"])),
            (3, lambda: self.pick(["DESCRIBE ", "DESC ", "DESCRIBE EXTENDED "]) + self.table()),
            (1, lambda: "DESCRIBE " + self.pick(["CATALOG ", "FUNCTION ", "FUNCTION EXTENDED ", "DATABASE ", "JOB ", "MODEL "])
             + self.pick([self.pick(CATALOGS), self.pick(FUNCS), "'8f3c0d2e4a5b6c7d8e9f0a1b2c3d4e5f'"])),
            (4, lambda: "EXPLAIN " + self.pick(["", "", "PLAN FOR ", "ESTIMATED_COST ", "CHANGELOG_MODE ", "JSON_EXECUTION_PLAN ",
                                                "PLAN_ADVICE ", "ESTIMATED_COST, CHANGELOG_MODE ", "CHANGELOG_MODE, JSON_EXECUTION_PLAN ",
                                                "WITHOUT IMPLEMENTATION ", "AST "])
             + self.weighted([(3, self.query), (2, self.insert), (1, self.statement_set)])),
            (3, lambda: "USE " + self.pick(["", "", "CATALOG "]) + self.pick([self.pick(CATALOGS), self.pick(CATALOGS) + "." + self.pick(DATABASES), self.pick(DATABASES)])),
            (1, lambda: "USE MODULES " + self.some(lambda: self.pick(["core", "hive"]), 1, 2)),
            (1, lambda: "LOAD MODULE hive" + (" WITH ('hive-version' = '3.1.2')" if self.p(0.6) else "")),
            (1, lambda: "UNLOAD MODULE " + self.pick(["hive", "core"])),
            (2, lambda: "CALL " + self.pick(["sys.", "paimon.sys.", ""]) + self.pick(["compact", "rollback_to", "expire_snapshots"])
             + "(" + self.some(lambda: self.pick([self.str_lit(["db.t", "5"]), "`table` => 'db.t'", "5", "TRUE"]), 0, 3) + ")"),
            (1, lambda: "ANALYZE TABLE " + self.table() + (" PARTITION (dt = '2024-01-01')" if self.p(0.3) else "")
             + " COMPUTE STATISTICS" + self.pick(["", " FOR ALL COLUMNS", " FOR COLUMNS " + self.some(self.col, 1, 2)])),
            (1, lambda: "STOP JOB '8f3c0d2e4a5b6c7d8e9f0a1b2c3d4e5f'" + self.pick(["", " WITH SAVEPOINT", " WITH SAVEPOINT WITH DRAIN"])),
            (1, lambda: self.pick(["HELP", "QUIT", "EXIT", "CLEAR"])),
        ])

    # -- top level ----------------------------------------------------------------------------
    def statement(self):
        self.depth = 0
        return self.weighted([
            (14, self.create_table),
            (3, self.ctas),
            (4, self.create_view),
            (3, self.create_function),
            (2, self.create_catalog),
            (2, self.create_database),
            (2, self.create_other),
            (16, self.insert),
            (4, self.statement_set),
            (4, self.dml_other),
            (18, self.query),
            (7, self.set_reset),
            (12, self.command),
            (5, self.alter),
            (3, self.drop),
        ])

    def script(self):
        """Mostly one statement; sometimes a job script of several, each ending in `;`."""
        if self.p(0.82):
            s = self.statement()
            return s + (";" if self.p(0.25) else "")
        parts = [self.statement() for _ in range(self.r.randint(2, 4))]
        return self.pick([";\n", ";\n\n", "; "]).join(parts) + self.pick([";", ";\n", ""])
